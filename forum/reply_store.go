package forum

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// The forum's writes to forum_replies, as (ctx, tx) helpers.

// insertReply stores a citizen's reply r and fills its ID and CreatedAt.
func insertReply(ctx context.Context, tx pgx.Tx, r *Reply, authorID *int64, consent *time.Time) error {
	return tx.QueryRow(ctx, `
			INSERT INTO forum_replies (question_id, author_id, author_name, body, body_html, status, consent_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, created_at`,
		r.QuestionID, authorID, r.AuthorName, r.Body, r.BodyHTML, r.Status, consent).Scan(&r.ID, &r.CreatedAt)
}

// insertOfficialAnswer stores actorID's answer on a question, under the
// actor's display name (or login).
func insertOfficialAnswer(ctx context.Context, tx pgx.Tx, questionID, actorID int64, body string) error {
	var name string
	if err := tx.QueryRow(ctx, `SELECT CASE WHEN display_name <> '' THEN display_name ELSE login END FROM users WHERE id = $1`, actorID).Scan(&name); err != nil {
		return err
	}
	return insertOfficialReply(ctx, tx, questionID, &actorID, name, body)
}

// insertOfficialReply stores a published official answer shown as name.
func insertOfficialReply(ctx context.Context, tx pgx.Tx, questionID int64, authorID *int64, name, body string) error {
	_, err := tx.Exec(ctx, `INSERT INTO forum_replies (question_id, author_id, author_name, body, body_html, official, status)
		VALUES ($1, $2, $3, $4, $5, true, 'published')`, questionID, authorID, name, body, RenderMarkdown(body))
	return err
}

// publishReply publishes a reply (approved by a moderator).
func publishReply(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `UPDATE forum_replies SET status = 'published' WHERE id = $1`, id)
	return err
}

// publishAnsweredReply publishes a reply that a moderator answered and
// returns its question; pgx.ErrNoRows when the reply is gone.
func publishAnsweredReply(ctx context.Context, tx pgx.Tx, id int64) (questionID int64, err error) {
	err = tx.QueryRow(ctx, `UPDATE forum_replies SET status = 'published' WHERE id = $1 RETURNING question_id`, id).Scan(&questionID)
	return questionID, err
}

// rejectReply hides a reply.
func rejectReply(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `UPDATE forum_replies SET status = 'rejected' WHERE id = $1`, id)
	return err
}
