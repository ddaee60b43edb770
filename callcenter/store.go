package callcenter

import (
	"context"
	"errors"
	"time"
)

// callStore is everything the call engine persists. It is deliberately
// narrow so the SIP and media code can be tested against MemoryStore; the
// production implementation is Store (store_postgres.go).
type callStore interface {
	// Menu returns the current IVR menu (the seeded DefaultMenu if an admin
	// never saved one).
	Menu(ctx context.Context) (Menu, error)
	// Languages returns every configured language (active or not).
	Languages(ctx context.Context) ([]Language, error)
	// CreateTicket stores a voicemail ticket, or (Agent set) the ticket of
	// a call an operator answered with what they wrote on the desk, and its
	// moderation item in one transaction and returns the ticket with its
	// spoken number. The recording, if any, must already be complete on disk.
	// A ticket with an ID and an error: stored, but the operator's on-phone
	// answer could not be given through moderation yet.
	CreateTicket(ctx context.Context, t NewTicket) (Ticket, error)
	// CreateAbandonedCallback leaves a callback task for a caller who hung
	// up while waiting for an operator.
	CreateAbandonedCallback(ctx context.Context, a AbandonedCall) error
	// CaseStatus looks up a tracking code typed on the phone for the caller
	// who (their number), within moderation's look-up budgets.
	CaseStatus(ctx context.Context, who, code string) (CaseStatus, error)
	// SaveCDR records a finished call.
	SaveCDR(ctx context.Context, cdr CDR) error
}

// AgentDirectory looks up SIP credentials of staff: HA1 is
// md5(login:doithoai:SIP secret), the secret being the agent's own, not the
// web password. ok is false for unknown logins and for users who are not
// SIP agents (only moderators and admins can be).
type AgentDirectory interface {
	AgentHA1(ctx context.Context, login string) (ha1 string, ok bool, err error)
}

// NewTicket is a voicemail question, or a call an operator answered, ready
// to become a ticket.
type NewTicket struct {
	CallID        string
	Agent         string // login of the operator who answered; "" for voicemail
	Caller        string // caller number (From user)
	Hotline       string // hotline number dialled
	Language      string
	Topic         string // TopicOption.Key
	Category      string
	RecordingPath string // relative to DATA_DIR; "" when the caller did not consent
	Duration      time.Duration
	Consent       string // how consent was given: "dtmf:1", "silence"; "" for none (operator calls only)
	ConsentAt     time.Time
	IVRPath       []string
	ReceivedAt    time.Time
	OutOfHours    bool
	CallbackDue   *time.Time // set for out-of-hours calls: next working morning
	Notify        bool       // the caller pressed 1 for SMS news (to Caller)
	CaseCode      string     // the tracking code of the case this call continues ("" for none)
}

// AbandonedCall is a caller who hung up in the agent queue after agreeing
// to the consent prompt: their number is kept to call them back.
type AbandonedCall struct {
	CallID   string
	Caller   string
	Language string
	Topic    string
	At       time.Time
	Due      time.Time // now in office hours, else the next opening
}

// Ticket is a stored voicemail ticket.
type Ticket struct {
	ID     int64
	Number string // the moderation item's tracking code: 9 digits 2-9, read back to the caller
}

// CDR outcomes.
const (
	OutcomeAgent     = "agent"     // bridged to an operator
	OutcomeVoicemail = "voicemail" // a ticket was created
	OutcomeAbandoned = "abandoned" // caller left before an operator or a ticket
	OutcomeAnswered  = "answered"  // IVR answered; ended without ticket or operator
)

// CDR is a call detail record; one per INVITE that was not refused.
type CDR struct {
	CallID      string     `json:"call_id"`
	Caller      string     `json:"caller"`
	Hotline     string     `json:"hotline"`
	Transport   string     `json:"transport"`
	StartedAt   time.Time  `json:"started_at"`
	AnsweredAt  *time.Time `json:"answered_at,omitempty"`
	EndedAt     time.Time  `json:"ended_at"`
	Outcome     string     `json:"outcome"`
	HangupCause string     `json:"hangup_cause"` // caller, server, cancel, no_ack, no_rtp, rtp_timeout, shutdown, error
	Language    string     `json:"language,omitempty"`
	Topic       string     `json:"topic,omitempty"`
	IVRPath     []string   `json:"ivr_path"`
	OutOfHours  bool       `json:"out_of_hours"`
	Agent       string     `json:"agent,omitempty"`
	QueueWait   float64    `json:"queue_wait_seconds"`
	TicketID    *int64     `json:"ticket_id,omitempty"`
	RTPReceived uint64     `json:"rtp_received"`
	RTPLost     uint64     `json:"rtp_lost"`
	RTPSent     uint64     `json:"rtp_sent"`
}

// ErrTicketNumberTaken is returned by a store when a generated ticket
// number collides; the caller retries with a new number.
var ErrTicketNumberTaken = errors.New("callcenter: ticket number taken")
