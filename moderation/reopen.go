package moderation

import (
	"context"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// Reopen puts an answered item back in the queue at the citizen's request
// (inside the channel's transaction), unassigned and with a fresh due time.
// NotFound when the channel has no item for ref; Conflict ("bad_state")
// when the item is not answered.
func (s *Service) Reopen(ctx context.Context, tx pgx.Tx, src Source, ref string, citizenID *int64, reason string) (_ Item, err error) {
	defer apperr.Wrap(&err, "moderation.Service.Reopen(%s, %q)", src, ref)
	it, err := findItem(ctx, tx, `i.source = $1 AND i.ref = $2 FOR UPDATE OF i`, string(src), ref)
	if err != nil {
		return Item{}, err
	}
	if it.Status != StatusAnswered {
		return Item{}, apperr.Conflictf("bad_state", "only an answered item can be reopened")
	}
	before := snapshot(it)
	if err := reopenItem(ctx, tx, it.ID, reason, s.CurrentSLA().DueAt(src, it.Priority, s.now())); err != nil {
		return Item{}, err
	}
	out, err := findItem(ctx, tx, `i.id = $1`, it.ID)
	if err != nil {
		return Item{}, err
	}
	if err := appendAudit(ctx, tx, it.ID, citizenID, "reopen", reason, before, snapshot(out)); err != nil {
		return Item{}, err
	}
	if err := s.record(ctx, tx, EventReopened, out, ""); err != nil {
		return Item{}, err
	}
	return out, notify(ctx, tx, out, "reopened")
}
