package moderation

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// SetMeta records what a channel learns of its item after enqueueing it
// (a chat's rating given once the operator ended it), inside the
// channel's transaction, with an audit entry. NotFound when the channel
// has no item for ref.
func (s *Service) SetMeta(ctx context.Context, tx pgx.Tx, src Source, ref, key string, value any) (_ Item, err error) {
	defer apperr.Wrap(&err, "moderation.Service.SetMeta(%s, %q, %q)", src, ref, key)
	it, err := findItem(ctx, tx, `i.source = $1 AND i.ref = $2 FOR UPDATE OF i`, string(src), ref)
	if err != nil {
		return Item{}, fmt.Errorf("moderation.SetMeta: %w", err)
	}
	v, err := json.Marshal(value)
	if err != nil {
		return Item{}, fmt.Errorf("moderation.SetMeta: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE moderation_items SET meta = jsonb_set(meta, ARRAY[$2::text], $3::jsonb), updated_at = now() WHERE id = $1`,
		it.ID, key, string(v)); err != nil {
		return Item{}, fmt.Errorf("moderation.SetMeta: %w", err)
	}
	if err := appendAudit(ctx, tx, it.ID, nil, "meta_"+key, string(v), snapshot(it), snapshot(it)); err != nil {
		return Item{}, fmt.Errorf("moderation.SetMeta: %w", err)
	}
	out, err := findItem(ctx, tx, `i.id = $1`, it.ID)
	if err != nil {
		return Item{}, fmt.Errorf("moderation.SetMeta: %w", err)
	}
	return out, notify(ctx, tx, out, "updated")
}
