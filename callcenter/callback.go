package callcenter

import (
	"context"
	"strconv"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// Callback is the task of phoning a citizen back: with the answer a
// moderator wrote to their hotline ticket (kind "answer"), or because they
// hung up while waiting for an operator (kind "abandoned", no ticket).
type Callback struct {
	ID           int64      `json:"id"`
	Kind         string     `json:"kind"`
	TicketID     *int64     `json:"ticket_id"`
	TicketNumber string     `json:"ticket_number"`
	Caller       string     `json:"caller"`
	Language     string     `json:"language"`
	Topic        string     `json:"topic"`
	Answer       string     `json:"answer"`
	DueAt        time.Time  `json:"due_at"`
	Status       string     `json:"status"`
	DoneBy       *string    `json:"done_by,omitempty"`
	DoneAt       *time.Time `json:"done_at,omitempty"`
	Note         string     `json:"note"`
	RecordingURL string     `json:"recording_url"`
	ItemID       *int64     `json:"item_id,omitempty"`
	Attempts     int        `json:"attempts"`
	Escalated    bool       `json:"escalated"` // still open well after its due time (HOTLINE_CALLBACK_GRACE)
	// AttemptLog is every attempt, oldest first (callback_attempts.go).
	AttemptLog []CallbackAttempt `json:"attempt_log" db:"-"`
}

// Callback statuses.
const (
	CallbackOpen = "open"
	CallbackDone = "done"
)

// Callback kinds.
const (
	CallbackAnswer    = "answer"
	CallbackAbandoned = "abandoned"
)

// decisionHandler carries moderation decisions on hotline tickets back to
// the hotline: an answer creates (or updates) the open callback task. It
// runs inside the moderation transaction.
type decisionHandler struct {
	hours *liveHours
	now   func() time.Time
	mod   *moderation.Service // tells the citizen of the callback (nil: nobody)
}

func (h decisionHandler) Apply(ctx context.Context, tx pgx.Tx, d moderation.Decision) error {
	if d.Action != moderation.ActionAnswer {
		return nil
	}
	id, err := strconv.ParseInt(d.Item.Ref, 10, 64)
	if err != nil {
		return apperr.Invalidf("bad_ref", "hotline ticket ref %q", d.Item.Ref)
	}
	// An operator's answer given on the phone needs no callback: the
	// caller heard it.
	var onPhone bool
	if err := tx.QueryRow(ctx, `SELECT phone_answer <> '' AND phone_answer = $2 FROM hotline_tickets WHERE id = $1`, id, d.Body).Scan(&onPhone); err != nil {
		return err
	}
	if onPhone {
		return nil
	}
	// Call back now if the office is open, else at the next opening.
	due := h.now()
	if hours := h.hours.get(); !hours.Open(due) {
		due = hours.NextOpening(due)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO hotline_callbacks (ticket_id, answer, due_at, created_by) VALUES ($1, $2, $3, $4)
		ON CONFLICT (ticket_id) WHERE status = 'open' DO UPDATE SET answer = excluded.answer`,
		id, d.Body, due, nullID(d.ActorID))
	if err != nil || h.mod == nil {
		return err
	}
	return h.tellCallback(ctx, tx, d.Item, due)
}

const callbackColumns = `c.id, c.kind, c.ticket_id, coalesce(t.number, (SELECT tracking_code FROM moderation_items WHERE id = c.item_id), ''), coalesce(t.caller, c.caller), coalesce(t.language, c.language),
	coalesce(t.topic, c.topic), c.answer, c.due_at, c.status, u.login, c.done_at, c.note,
	CASE WHEN coalesce(t.recording_path, '') <> '' THEN '/api/v1/hotline/tickets/' || t.id || '/recording'
	     WHEN coalesce(lq.recording_path, '') <> '' THEN '/api/v1/hotline/live-questions/' || lq.id || '/recording' ELSE '' END,
	coalesce(c.item_id, t.item_id), c.attempts, c.escalated_at IS NOT NULL`

// A live question's task has no ticket: its number is the item's code.
const callbackFrom = ` FROM hotline_callbacks c LEFT JOIN hotline_tickets t ON t.id = c.ticket_id LEFT JOIN users u ON u.id = c.done_by
	LEFT JOIN hotline_live_questions lq ON lq.item_id = c.item_id `

// FindCallbacks lists callbacks with status ("" for all), due first.
func (s *Store) FindCallbacks(ctx context.Context, status string, limit int) (_ []Callback, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.FindCallbacks(%q)", status)
	rows, err := s.pool.Query(ctx, `SELECT `+callbackColumns+callbackFrom+`
		WHERE ($1 = '' OR c.status = $1) ORDER BY c.status = 'open' DESC, c.due_at, c.id LIMIT $2`, status, limit)
	if err != nil {
		return nil, err
	}
	cbs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Callback])
	if err != nil {
		return nil, err
	}
	return cbs, s.fillAttempts(ctx, cbs)
}

// MarkCallbackDone closes an open callback (a "done" attempt); a second
// call is a Conflict.
func (s *Store) MarkCallbackDone(ctx context.Context, id, actorID int64, note string) (_ Callback, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.MarkCallbackDone(%d)", id)
	cb, err := s.RecordCallbackAttempt(ctx, id, actorID, AttemptDone, note, 0)
	if apperr.KindOf(err) == apperr.Conflict {
		if found, ferr := s.FindCallback(ctx, id); ferr == nil {
			cb = found
		}
	}
	return cb, err
}
