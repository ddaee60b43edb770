package forum

import (
	"context"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// The forum's writes to forum_reports, as (ctx, tx) helpers.

// findReportedReply returns the body of a published reply of questionID;
// NotFound when there is none.
func findReportedReply(ctx context.Context, tx pgx.Tx, questionID, replyID int64) (string, error) {
	var body string
	if err := tx.QueryRow(ctx, `SELECT body FROM forum_replies WHERE id = $1 AND question_id = $2 AND status = 'published'`, replyID, questionID).Scan(&body); err != nil {
		return "", apperr.NotFoundf("no such reply")
	}
	return body, nil
}

// insertReport stores a report on a question or one of its replies.
func insertReport(ctx context.Context, tx pgx.Tx, questionID int64, replyID, reporter *int64, reason string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO forum_reports (question_id, reply_id, reporter_id, reason) VALUES ($1, $2, $3, $4) RETURNING id`,
		questionID, replyID, reporter, reason).Scan(&id)
	return id, err
}

// upholdReport marks a report upheld and returns what it points at.
func upholdReport(ctx context.Context, tx pgx.Tx, id int64) (questionID int64, replyID *int64, err error) {
	err = tx.QueryRow(ctx, `UPDATE forum_reports SET status = 'upheld' WHERE id = $1 RETURNING question_id, reply_id`, id).Scan(&questionID, &replyID)
	return questionID, replyID, err
}

// dismissReport marks a report dismissed.
func dismissReport(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `UPDATE forum_reports SET status = 'dismissed' WHERE id = $1`, id)
	return err
}
