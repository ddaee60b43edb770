package moderation

import (
	"context"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// FindCannedAnswers lists canned answers.
func (s *Store) FindCannedAnswers(ctx context.Context) (_ []CannedAnswer, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindCannedAnswers")
	rows, err := s.pool.Query(ctx, `SELECT id, title, body, language FROM canned_answers ORDER BY title`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[CannedAnswer])
}

// CreateCannedAnswer adds one; Invalid without a title or a body.
func (s *Store) CreateCannedAnswer(ctx context.Context, c CannedAnswer) (_ CannedAnswer, err error) {
	defer apperr.Wrap(&err, "moderation.Store.CreateCannedAnswer")
	if c.Title == "" || c.Body == "" {
		return c, apperr.Invalidf("bad_canned_answer", "a canned answer needs a title and a body")
	}
	if c.Language == "" {
		c.Language = "vi"
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO canned_answers (title, body, language) VALUES ($1, $2, $3) RETURNING id`,
		c.Title, c.Body, c.Language).Scan(&c.ID)
	return c, err
}
