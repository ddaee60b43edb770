package moderation

import (
	"context"
	"fmt"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// Events told to the citizen (moderation/notify renders and sends them).
const (
	EventReceived      = "received"
	EventAnswered      = "answered"
	EventRejected      = "rejected"
	EventInfoRequested = "info_requested"
	EventReopened      = "reopened"
	// EventCallbackScheduled: an operator will phone the citizen back (by
	// OutboxEvent.Due) with the answer; recorded by the hotline with its
	// callback task.
	EventCallbackScheduled = "callback_scheduled"
)

// MetaNotify is the item meta key a channel sets to true when the citizen
// gave a contact and chose to be told of their case there.
const MetaNotify = "notify"

// OutboxEvent is a status change a citizen may be told of.
type OutboxEvent struct {
	Event string
	Item  Item   // the item after the change
	Text  string // the answer, reason or message, when the event has one
	// Due is a date the event promises (a callback by then); zero for
	// none, the item's due date then being what "received" tells.
	Due time.Time
}

// Outbox records notifications in the transaction of the status change, so
// a change is committed with its notifications or not at all. Moderation
// defines it and the node wires moderation/notify's outbox in: the outbox
// needs moderation's Item, so moderation cannot import it, and the queue
// stays free of any channel or gateway.
type Outbox interface {
	Record(ctx context.Context, tx pgx.Tx, ev OutboxEvent) error
	// Notices lists what the citizen of item was told (or will be), for
	// the tracking page.
	Notices(ctx context.Context, itemID int64) ([]Notice, error)
}

// Notice is one notification as the tracking page shows it.
type Notice struct {
	Event string    `json:"event"`
	At    time.Time `json:"at"`
}

// record hands ev to the outbox, if the node has one.
func (s *Service) record(ctx context.Context, tx pgx.Tx, event string, it Item, text string) error {
	if s.Outbox == nil {
		return nil
	}
	return s.Outbox.Record(ctx, tx, OutboxEvent{Event: event, Item: it, Text: text})
}

// Notify records ev for the citizen of ev.Item inside the channel's
// transaction tx (a channel's decision handler, say), so the event is
// committed with the change it tells of. Without an outbox it does nothing.
func (s *Service) Notify(ctx context.Context, tx pgx.Tx, ev OutboxEvent) (err error) {
	defer apperr.Wrap(&err, "moderation.Service.Notify(%q, %d)", ev.Event, ev.Item.ID)
	if s.Outbox == nil {
		return nil
	}
	if err := s.Outbox.Record(ctx, tx, ev); err != nil {
		return fmt.Errorf("moderation.Notify %s: %w", ev.Event, err)
	}
	return nil
}

// actionEvents maps moderators' actions to what the citizen is told.
var actionEvents = map[string]string{
	ActionAnswer:      EventAnswered,
	ActionReject:      EventRejected,
	ActionRequestInfo: EventInfoRequested,
}

// Notices returns what the citizen of it was told, oldest first (none
// when the node has no outbox).
func (s *Service) Notices(ctx context.Context, it Item) (_ []Notice, err error) {
	defer apperr.Wrap(&err, "moderation.Service.Notices(%d)", it.ID)
	if s.Outbox == nil {
		return nil, nil
	}
	return s.Outbox.Notices(ctx, it.ID)
}

// tellMergedAskers keeps the askers of merged duplicates informed: each is
// told of the answer under their own code (whose tracking page shows the
// answer of the item it was merged into), when the item they were merged
// into is answered, or at once when it already was.
func (s *Service) tellMergedAskers(ctx context.Context, tx pgx.Tx, action string, out Item, into int64, body string) error {
	switch action {
	case ActionAnswer:
		merged, err := s.Store.FindMergedInto(ctx, tx, out.ID)
		if err != nil {
			return err
		}
		for _, m := range merged {
			if err := s.record(ctx, tx, EventAnswered, m, body); err != nil {
				return err
			}
		}
	case ActionMerge:
		target, err := findItem(ctx, tx, `i.id = $1`, into)
		if err != nil {
			return err
		}
		if target.Status == StatusAnswered && target.Answer != "" {
			return s.record(ctx, tx, EventAnswered, out, target.Answer)
		}
	}
	return nil
}
