package forum

import (
	"context"
	"errors"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/vntext"
	"github.com/jackc/pgx/v5"
)

// The forum's writes to forum_questions, as (ctx, tx) helpers that the
// service's and the decisions' transactions compose. Reads are in store.go.

// insertQuestion stores an asker's question in cat with status and code.
func insertQuestion(ctx context.Context, tx pgx.Tx, cat Category, n NewQuestion, status, code string, consent *time.Time) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `
			INSERT INTO forum_questions (category_id, author_id, author_name, contact, title, slug, body, body_html, kind, visibility,
				province, district, commune, language, status, tracking_code, consent_at, published_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
				CASE WHEN $15 = 'published' THEN now() END)
			RETURNING id`,
		cat.ID, n.AuthorID, n.Name, n.Contact, n.Title, vntext.Slug(n.Title), n.Body, RenderMarkdown(n.Body), n.Kind, n.Visibility,
		n.Province, n.District, n.Commune, n.Language, status, code, consent).Scan(&id)
	return id, err
}

// insertLiveQuestion stores a published question, without author, for an
// answer given in a live dialogue.
func insertLiveQuestion(ctx context.Context, tx pgx.Tx, cat Category, a liveQuestion) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `
			INSERT INTO forum_questions (category_id, title, slug, body, body_html, language, status, tracking_code, published_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'published', $7, now()) RETURNING id`,
		cat.ID, a.Title, a.Slug, a.Body, RenderMarkdown(a.Body), a.Language, a.Code).Scan(&id)
	return id, err
}

// liveQuestion is what insertLiveQuestion stores.
type liveQuestion struct{ Title, Slug, Body, Language, Code string }

// setTrackingCode gives question id the code the queue picked after a
// collision.
func setTrackingCode(ctx context.Context, tx pgx.Tx, id int64, code string) error {
	_, err := tx.Exec(ctx, `UPDATE forum_questions SET tracking_code = $2 WHERE id = $1`, id, code)
	return err
}

// lockQuestion locks question id for an answer and returns its slug,
// visibility and status; NotFound when there is none.
func lockQuestion(ctx context.Context, tx pgx.Tx, id int64) (slug, vis, status string, err error) {
	err = tx.QueryRow(ctx, `SELECT slug, visibility, status FROM forum_questions WHERE id = $1 FOR UPDATE`, id).Scan(&slug, &vis, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", "", apperr.NotFoundf("no forum question %d", id)
	}
	return slug, vis, status, err
}

// reopenQuestion reopens an answered question once; Conflict when it is
// not answered or was reopened already (a concurrent reopen lost).
func reopenQuestion(ctx context.Context, tx pgx.Tx, id int64, reason string) error {
	tag, err := tx.Exec(ctx, `UPDATE forum_questions SET status = 'published', reopen_count = reopen_count + 1, reopen_reason = $2, updated_at = now()
			WHERE id = $1 AND status = 'answered' AND reopen_count = 0`, id, reason)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return apperr.Conflictf("reopened_once", "a question can be reopened only once")
	}
	return nil
}

// publishQuestion publishes a pending question (approved by a moderator).
func publishQuestion(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `UPDATE forum_questions SET status = 'published', published_at = coalesce(published_at, now()),
			info_request = '', updated_at = now() WHERE id = $1 AND status = 'pending'`, id)
	return err
}

// rejectQuestion hides a question with the reason shown to its asker.
func rejectQuestion(ctx context.Context, tx pgx.Tx, id int64, reason string) error {
	_, err := tx.Exec(ctx, `UPDATE forum_questions SET status = 'rejected', reject_reason = $2, updated_at = now() WHERE id = $1`, id, reason)
	return err
}

// markAnswered marks a question answered; an answer also publishes a
// question that was still waiting.
func markAnswered(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `UPDATE forum_questions SET status = 'answered', answered_at = now(), info_request = '',
			published_at = coalesce(published_at, now()), updated_at = now() WHERE id = $1`, id)
	return err
}

// requestInfo shows the asker what the moderator needs to know.
func requestInfo(ctx context.Context, tx pgx.Tx, id int64, note string) error {
	_, err := tx.Exec(ctx, `UPDATE forum_questions SET info_request = $2, updated_at = now() WHERE id = $1`, id, note)
	return err
}

// closeQuestion closes a question that was not rejected.
func closeQuestion(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `UPDATE forum_questions SET status = 'closed', updated_at = now() WHERE id = $1 AND status <> 'rejected'`, id)
	return err
}

// mergeQuestion marks a question a duplicate of dup (nil: of an item that
// is not a forum question): a pending one is rejected, a public one closed.
func mergeQuestion(ctx context.Context, tx pgx.Tx, id int64, dup *int64) error {
	_, err := tx.Exec(ctx, `UPDATE forum_questions SET status = CASE WHEN status = 'pending' THEN 'rejected' ELSE 'closed' END,
			duplicate_of = $2, reject_reason = CASE WHEN status = 'pending' THEN 'duplicate' ELSE reject_reason END, updated_at = now()
			WHERE id = $1`, id, dup)
	return err
}
