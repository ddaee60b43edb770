// Package moderation is the one queue that every channel feeds: forum
// questions and replies, reports, chat transcripts, live-session questions
// and hotline tickets. Moderators claim items (a lease, never two holders),
// act on them, and every action is written to an append-only audit log.
//
// Channels import moderation; moderation imports no channel. A channel
// enqueues inside its own transaction (Service.Enqueue) and learns of
// decisions through the ChannelHandler it registers for its sources.
package moderation

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Source is where an item came from.
type Source string

// Sources, as named in the API contract.
const (
	SourceForumQuestion    Source = "forum_question"
	SourceForumReply       Source = "forum_reply"
	SourceReport           Source = "report"
	SourceChatConversation Source = "chat_conversation"
	SourceLiveQuestion     Source = "live_question"
	SourceHotlineTicket    Source = "hotline_ticket"
)

// Sources lists every source in display order.
var Sources = []Source{SourceForumQuestion, SourceForumReply, SourceReport, SourceChatConversation, SourceLiveQuestion, SourceHotlineTicket}

// Valid reports whether s is a known source.
func (s Source) Valid() bool {
	for _, k := range Sources {
		if s == k {
			return true
		}
	}
	return false
}

// Status of an item.
const (
	StatusPending       = "pending"        // waiting for review
	StatusApproved      = "approved"       // published / accepted, waiting for an answer
	StatusInfoRequested = "info_requested" // waiting for the citizen
	StatusAnswered      = "answered"
	StatusRejected      = "rejected"
	StatusClosed        = "closed"
	StatusMerged        = "merged" // a duplicate of merged_into
)

// Statuses lists every status.
var Statuses = []string{StatusPending, StatusApproved, StatusInfoRequested, StatusAnswered, StatusRejected, StatusClosed, StatusMerged}

// Kind of submission. Complaints and denunciations follow separate legal
// procedures: never published, routed to the department that handles them.
const (
	KindQuestion     = "question"
	KindFeedback     = "feedback"
	KindComplaint    = "complaint"
	KindDenunciation = "denunciation"
	KindReport       = "report"
	KindConversation = "conversation"
)

// Item is one entry of the queue, with a snapshot of the content.
type Item struct {
	ID             int64          `json:"id"`
	Source         Source         `json:"source"`
	Ref            string         `json:"ref"`
	TrackingCode   string         `json:"tracking_code,omitempty"`
	Title          string         `json:"title"`
	Content        string         `json:"content"`
	Kind           string         `json:"kind"`
	CitizenID      *int64         `json:"citizen_id,omitempty"`
	Contact        string         `json:"contact,omitempty"`
	CitizenPhone   string         `json:"citizen_phone,omitempty"` // E.164, the person's key (internal/contact)
	CitizenEmail   string         `json:"citizen_email,omitempty"` // lower-cased, the person's key
	CaseID         *int64         `json:"case_id,omitempty"`       // the case's first item, when this continues it
	Category       string         `json:"category"`
	Province       string         `json:"province"`
	Language       string         `json:"language"`
	Priority       int            `json:"priority"`
	Status         string         `json:"status"`
	AssigneeID     *int64         `json:"-"`
	Assignee       *string        `json:"assignee"`
	LeaseExpiresAt *time.Time     `json:"lease_expires_at,omitempty"`
	Department     string         `json:"department,omitempty"`
	Escalated      bool           `json:"escalated"`
	MergedInto     *int64         `json:"merged_into,omitempty"`
	Reason         string         `json:"reason,omitempty"`
	Answer         string         `json:"answer,omitempty"`
	URL            string         `json:"url,omitempty"`
	RecordingURL   string         `json:"recording_url,omitempty"`
	Meta           map[string]any `json:"meta,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
	FirstResponse  *time.Time     `json:"first_response_at,omitempty"`
	AnsweredAt     *time.Time     `json:"answered_at,omitempty"`
	DueAt          time.Time      `json:"due_at"`
}

// Open reports whether the item still needs work.
func (it Item) Open() bool {
	return it.Status == StatusPending || it.Status == StatusApproved || it.Status == StatusInfoRequested
}

// AssigneeName is the login of the holder, or "".
func (it Item) AssigneeName() string {
	if it.Assignee == nil {
		return ""
	}
	return *it.Assignee
}

// Overdue reports whether an open item is past its due time.
func (it Item) Overdue(now time.Time) bool { return it.Open() && now.After(it.DueAt) }

// HeldBy reports whether userID holds a live claim on the item.
func (it Item) HeldBy(userID int64, now time.Time) bool {
	return it.AssigneeID != nil && *it.AssigneeID == userID && it.LeaseExpiresAt != nil && it.LeaseExpiresAt.After(now)
}

// NewItem is what a channel enqueues.
type NewItem struct {
	Source       Source
	Ref          string // the channel's own id of the thing
	TrackingCode string // shown to the citizen; NewTrackingCode or NewNumericCode
	Title        string
	Content      string // snapshot shown to moderators
	Kind         string // KindQuestion when empty
	CitizenID    *int64
	Contact      string // phone or e-mail as given; personal data
	// Phone and Email are the citizen's contact keys; when both are empty
	// Enqueue reads them from Contact. Never a display name.
	Phone string
	Email string
	// CaseCode is the tracking code of an earlier submission this one
	// continues: the new item joins that case.
	CaseCode   string
	Category   string
	Province   string
	Language   string
	Priority   int
	Department string     // pre-routed (complaints)
	DueAt      *time.Time // overrides the SLA (e.g. out-of-hours callbacks)
	Meta       map[string]any
	URL        string // where the public (or the asker) sees it
	// Status "approved" for post-moderated content that is already public.
	Status string
}

// Decision is a moderator's action, carried back to the channel.
type Decision struct {
	Item    Item // the item after the action
	Action  string
	Body    string // answer text, reason or message
	ActorID int64
	// Target is the item merged into, for merge.
	Target *Item
}

// ChannelHandler carries decisions back to a channel, inside the
// moderation transaction: if Apply fails, the action is rolled back whole.
type ChannelHandler interface {
	Apply(ctx context.Context, tx pgx.Tx, d Decision) error
}

// ChannelHandlerFunc adapts a function to ChannelHandler.
type ChannelHandlerFunc func(ctx context.Context, tx pgx.Tx, d Decision) error

// Apply implements ChannelHandler.
func (f ChannelHandlerFunc) Apply(ctx context.Context, tx pgx.Tx, d Decision) error {
	return f(ctx, tx, d)
}

// ItemFilter selects items for the queue view.
type ItemFilter struct {
	Status     []string
	Source     []Source
	Category   string
	Province   string
	Escalated  *bool
	AssigneeID *int64
	CitizenID  *int64
	Contact    string
	Overdue    bool
	Limit      int
	Offset     int
}
