package moderation

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// reopenItem puts item id back in the queue, unassigned, due at due.
func reopenItem(ctx context.Context, tx pgx.Tx, id int64, reason string, due time.Time) error {
	_, err := tx.Exec(ctx, `
		UPDATE moderation_items SET status = 'approved', assignee_id = NULL, lease_expires_at = NULL,
			reason = $2, due_at = $3, updated_at = now()
		WHERE id = $1`, id, reason, due)
	return err
}
