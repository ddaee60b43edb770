package moderation

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// Channels meet only here (as in publish.go). A caller on the hotline may
// put a question to the live dialogue that is on now: livechat owns the
// sessions and registers a LiveIntake; the hotline asks whether a session
// is on and hands it the recorded question inside its own transaction.
// When the question is answered (on the air or in the queue), the item
// carries MetaPhoneCallback and the hotline's PhoneAnswerHandler turns the
// answer into a callback task, in the transaction of the answer.

// MetaPhoneCallback is the item meta key (true) of a question asked by
// phone whose answer must be phoned back.
const MetaPhoneCallback = "phone_callback"

// LiveSessionNow is the live dialogue on the air.
type LiveSessionNow struct {
	ID    int64
	Title string
}

// PhoneQuestion is a question a caller recorded for a live dialogue.
type PhoneQuestion struct {
	Text         string // what moderators and viewers read in place of a typed body
	Caller       string // E.164; the callback number
	Language     string
	RecordingURL string // staff-only URL of the recording (the hotline serves it)
	Notify       bool   // the caller asked for the answer by SMS too
	Meta         map[string]any
}

// LiveIntake is what livechat provides.
type LiveIntake interface {
	// LiveSessionNow returns the session on the air now, if any.
	LiveSessionNow(ctx context.Context) (LiveSessionNow, bool, error)
	// AcceptPhoneQuestion stores q as a pending question of the session
	// and enqueues its live_question item, inside the caller's tx.
	AcceptPhoneQuestion(ctx context.Context, tx pgx.Tx, sessionID int64, q PhoneQuestion) (Item, error)
}

// PhoneAnswerHandler is what the hotline provides: called inside the
// transaction that answers an item carrying MetaPhoneCallback.
type PhoneAnswerHandler interface {
	PhoneAnswered(ctx context.Context, tx pgx.Tx, it Item, answer string, actorID int64) error
}

// SetLiveIntake registers livechat's intake (before the node serves).
func (s *Service) SetLiveIntake(li LiveIntake) { s.live = li }

// SetPhoneAnswerHandler registers the hotline's handler (before the node serves).
func (s *Service) SetPhoneAnswerHandler(h PhoneAnswerHandler) { s.phoneAnswers = h }

// LiveSessionNow returns the live dialogue on the air; none without livechat.
func (s *Service) LiveSessionNow(ctx context.Context) (_ LiveSessionNow, _ bool, err error) {
	defer apperr.Wrap(&err, "moderation.Service.LiveSessionNow")
	if s.live == nil {
		return LiveSessionNow{}, false, nil
	}
	ls, ok, err := s.live.LiveSessionNow(ctx)
	if err != nil {
		return ls, false, fmt.Errorf("moderation.LiveSessionNow: %w", err)
	}
	return ls, ok, nil
}

// AcceptPhoneQuestion hands a phone question to the live session inside
// tx. The item is marked for a callback (and for SMS when q.Notify).
// Conflict ("no_live_session") when no live dialogue is on.
func (s *Service) AcceptPhoneQuestion(ctx context.Context, tx pgx.Tx, sessionID int64, q PhoneQuestion) (_ Item, err error) {
	defer apperr.Wrap(&err, "moderation.Service.AcceptPhoneQuestion(%d)", sessionID)
	if s.live == nil {
		return Item{}, apperr.Conflictf("no_live_session", "no live dialogue is on")
	}
	if q.Meta == nil {
		q.Meta = map[string]any{}
	}
	q.Meta[MetaPhoneCallback] = true
	if q.Notify {
		q.Meta[MetaNotify] = true
	}
	return s.live.AcceptPhoneQuestion(ctx, tx, sessionID, q)
}

// phoneAnswered hands an answered phone question to the hotline, inside tx.
func (s *Service) phoneAnswered(ctx context.Context, tx pgx.Tx, it Item, answer string, actorID int64) error {
	if s.phoneAnswers == nil || it.Meta[MetaPhoneCallback] != true {
		return nil
	}
	if err := s.phoneAnswers.PhoneAnswered(ctx, tx, it, answer, actorID); err != nil {
		return fmt.Errorf("moderation.phoneAnswered: %w", err)
	}
	return nil
}

// EventCallbackUnreached is told to a citizen the hotline could not call
// back: the answer comes by SMS instead.
const EventCallbackUnreached = "callback_unreached"

// Audit actions the hotline's callback tasks leave on an item.
const (
	AuditCallbackUnreached = "callback_unreached"
	AuditCallbackOverdue   = "callback_overdue"
)

// CallbackUnreached is called by the hotline, inside its transaction, when
// a callback task of item itemID was not reached after every attempt
// (outcomes lists them). A citizen who chose notifications and has a
// phone number gets the answer by SMS through the outbox ("sms");
// otherwise the moderators find a note in the item's history ("note").
func (s *Service) CallbackUnreached(ctx context.Context, tx pgx.Tx, itemID int64, answer string, outcomes []string) (_ string, err error) {
	defer apperr.Wrap(&err, "moderation.Service.CallbackUnreached(%d)", itemID)
	it, err := findItem(ctx, tx, `i.id = $1 FOR UPDATE OF i`, itemID)
	if err != nil {
		return "", fmt.Errorf("moderation.CallbackUnreached: %w", err)
	}
	how := "note"
	if s.Outbox != nil && it.CitizenPhone != "" && it.Meta[MetaNotify] == true {
		how = "sms"
		if err := s.record(ctx, tx, EventCallbackUnreached, it, answer); err != nil {
			return "", fmt.Errorf("moderation.CallbackUnreached: %w", err)
		}
	}
	note := fmt.Sprintf("%s (%d: %s)", how, len(outcomes), strings.Join(outcomes, ", "))
	if err := appendAudit(ctx, tx, it.ID, nil, AuditCallbackUnreached, note, snapshot(it), snapshot(it)); err != nil {
		return "", fmt.Errorf("moderation.CallbackUnreached: %w", err)
	}
	return how, notify(ctx, tx, it, AuditCallbackUnreached)
}

// EscalateForCallback escalates item itemID because its callback task is
// late (once per task: the hotline marks the task), with an audit entry by
// the system, like EscalateOverdue does for items past their SLA.
func (s *Service) EscalateForCallback(ctx context.Context, tx pgx.Tx, itemID int64, due time.Time) (err error) {
	defer apperr.Wrap(&err, "moderation.Service.EscalateForCallback(%d)", itemID)
	it, err := findItem(ctx, tx, `i.id = $1 FOR UPDATE OF i`, itemID)
	if err != nil {
		return fmt.Errorf("moderation.EscalateForCallback: %w", err)
	}
	before := snapshot(it)
	if _, err := tx.Exec(ctx, `UPDATE moderation_items SET escalated = true, escalated_at = now(), updated_at = now() WHERE id = $1`, it.ID); err != nil {
		return fmt.Errorf("moderation.EscalateForCallback: %w", err)
	}
	if it, err = findItem(ctx, tx, `i.id = $1`, itemID); err != nil {
		return fmt.Errorf("moderation.EscalateForCallback: %w", err)
	}
	if err := appendAudit(ctx, tx, it.ID, nil, AuditCallbackOverdue, due.UTC().Format(time.RFC3339), before, snapshot(it)); err != nil {
		return fmt.Errorf("moderation.EscalateForCallback: %w", err)
	}
	return notify(ctx, tx, it, "escalated")
}
