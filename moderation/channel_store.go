package moderation

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// answerInChannel marks item id answered with body, as given in its channel.
func answerInChannel(ctx context.Context, tx pgx.Tx, id int64, body string) error {
	_, err := tx.Exec(ctx, `
		UPDATE moderation_items SET status = 'answered', answer = $2, answered_at = now(),
			first_response_at = coalesce(first_response_at, now()), lease_expires_at = NULL, updated_at = now()
		WHERE id = $1`, id, body)
	return err
}
