package livechat

import (
	"github.com/doithoai/doithoai/internal/contact"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
)

// Session is a live dialogue (giao lưu trực tuyến): leaders answer
// moderated citizen questions before viewers; once over, a read-only
// archive of the questions and answers.
type Session struct {
	ID          int64     `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	StartsAt    time.Time `json:"starts_at"`
	EndsAt      time.Time `json:"ends_at"`
	Leaders     []Leader  `json:"leaders"`
	Status      string    `json:"status"` // upcoming, live, ended
	URL         string    `json:"url"`
	Room        string    `json:"room"`
}

// Leader is a leader taking part in a session.
type Leader struct {
	ID    int64  `json:"-"`
	Login string `json:"login"`
	Name  string `json:"name"`
}

// Session statuses, derived from the clock.
const (
	SessionUpcoming = "upcoming"
	SessionLive     = "live"
	SessionEnded    = "ended"
)

func (s *Session) setStatus(now time.Time) {
	switch {
	case !now.Before(s.EndsAt):
		s.Status = SessionEnded
	case !now.Before(s.StartsAt):
		s.Status = SessionLive
	default:
		s.Status = SessionUpcoming
	}
}

// Ended reports whether the session is an archive now.
func (s *Session) Ended() bool { return s.Status == SessionEnded }

// HasLeader reports whether userID leads the session.
func (s *Session) HasLeader(userID int64) bool {
	for _, l := range s.Leaders {
		if l.ID == userID {
			return true
		}
	}
	return false
}

// NewSession is an admin's schedule request.
type NewSession struct {
	Title       string    `json:"title"`
	Description string    `json:"description"`
	StartsAt    time.Time `json:"starts_at"`
	// DurationMinutes defaults to 120.
	DurationMinutes int      `json:"duration_minutes"`
	Leaders         []string `json:"leaders"`
}

// Validate trims and checks the request.
func (n *NewSession) Validate() error {
	n.Title = strings.TrimSpace(n.Title)
	n.Description = strings.TrimSpace(n.Description)
	switch {
	case !utf8.ValidString(n.Title) || !utf8.ValidString(n.Description):
		return apperr.Invalidf("invalid_utf8", "text is not valid UTF-8")
	case n.Title == "":
		return apperr.Invalidf("title_required", "a session needs a title")
	case utf8.RuneCountInString(n.Title) > 200:
		return apperr.Invalidf("title_too_long", "a title may be at most 200 characters")
	case utf8.RuneCountInString(n.Description) > 5000:
		return apperr.Invalidf("description_too_long", "a description may be at most 5000 characters")
	case n.StartsAt.IsZero():
		return apperr.Invalidf("starts_at_required", "starts_at is required (RFC 3339, e.g. 2026-05-01T09:00:00+07:00)")
	case len(n.Leaders) == 0:
		return apperr.Invalidf("leaders_required", "name at least one leader by login")
	case n.DurationMinutes < 0 || n.DurationMinutes > 24*60:
		return apperr.Invalidf("bad_duration", "duration_minutes is between 1 and 1440")
	}
	if n.DurationMinutes == 0 {
		n.DurationMinutes = 120
	}
	return nil
}

// Question is a citizen's question to a session.
type Question struct {
	ID           int64      `json:"id"`
	SessionID    int64      `json:"session_id"`
	Body         string     `json:"body"`
	Name         string     `json:"name"`
	Status       string     `json:"status"` // pending, approved, rejected, answered
	Position     int        `json:"position"`
	TrackingCode string     `json:"tracking_code,omitempty"`
	ItemID       *int64     `json:"-"`
	CreatedAt    time.Time  `json:"created_at"`
	ApprovedAt   *time.Time `json:"approved_at,omitempty"`
	Answers      []Answer   `json:"answers,omitempty"`
	// ForumURL is the forum question its answer was published to, if any.
	ForumURL string `json:"forum_url,omitempty"`
	// RecordingURL is the recording of a question asked by phone: a
	// staff-only URL, never sent to viewers (the desk page plays it).
	RecordingURL string `json:"-"`
}

// Answer is a leader's answer to a question.
type Answer struct {
	ID         int64     `json:"id"`
	QuestionID int64     `json:"question_id"`
	Leader     string    `json:"leader"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

// Question statuses.
const (
	QuestionPending  = "pending"
	QuestionApproved = "approved"
	QuestionRejected = "rejected"
	QuestionAnswered = "answered"
)

// Public reports whether viewers see the question.
func (q *Question) Public() bool { return q.Status == QuestionApproved || q.Status == QuestionAnswered }

// NewQuestion is a citizen's submission.
type NewQuestion struct {
	Body string `json:"body"`
	Name string `json:"name"`
	// Phone is optional, for the answer to reach the asker; stored only
	// with Consent (never shown publicly), normalised to E.164.
	Phone string `json:"phone"`
	// Consent to keeping the name or phone with the question; required
	// when either is given (SPEC §4).
	Consent bool `json:"consent"`

	CitizenID *int64 `json:"-"`
	IP        string `json:"-"`
}

// Validate trims and checks the question.
func (n *NewQuestion) Validate() error {
	var err error
	if n.Body, err = validBody(n.Body, 2000); err != nil {
		return err
	}
	n.Name = strings.TrimSpace(n.Name)
	if !utf8.ValidString(n.Name) || utf8.RuneCountInString(n.Name) > 80 {
		return apperr.Invalidf("bad_name", "a name may be at most 80 characters")
	}
	if n.Name != "" && !n.Consent {
		return apperr.Invalidf("consent_required", "agree to your name being kept with the question, or leave it out")
	}
	if strings.TrimSpace(n.Phone) != "" {
		if !n.Consent {
			return apperr.Invalidf("consent_required", "agree to how your phone number is used before sending it")
		}
		if n.Phone, err = contact.Phone(n.Phone); err != nil {
			return apperr.Invalidf("bad_phone", "%s", err.Error())
		}
	}
	return nil
}
