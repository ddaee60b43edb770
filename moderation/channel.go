package moderation

import (
	"context"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// AnsweredInChannel records, inside the channel's transaction, that an item
// was answered in the channel itself (a leader answering a live-session
// question on the air): the item becomes answered with the answer text and
// the audit log says who answered. An item already closed is left alone.
// NotFound when the channel has no item for ref.
func (s *Service) AnsweredInChannel(ctx context.Context, tx pgx.Tx, src Source, ref string, actorID int64, body string) (err error) {
	defer apperr.Wrap(&err, "moderation.Service.AnsweredInChannel(%s, %q)", src, ref)
	it, err := findItem(ctx, tx, `i.source = $1 AND i.ref = $2 FOR UPDATE OF i`, string(src), ref)
	if err != nil {
		return err
	}
	if !it.Open() {
		return nil
	}
	before := snapshot(it)
	if err := answerInChannel(ctx, tx, it.ID, body); err != nil {
		return err
	}
	out, err := findItem(ctx, tx, `i.id = $1`, it.ID)
	if err != nil {
		return err
	}
	if err := appendAudit(ctx, tx, it.ID, &actorID, ActionAnswer, body, before, snapshot(out)); err != nil {
		return err
	}
	// The citizen is told as for an answer given in the queue (nothing is
	// recorded unless they chose notifications).
	if err := s.record(ctx, tx, EventAnswered, out, body); err != nil {
		return err
	}
	if err := s.phoneAnswered(ctx, tx, out, body, actorID); err != nil {
		return err
	}
	return notify(ctx, tx, out, ActionAnswer)
}
