package moderation

import (
	"context"
	"errors"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// FindDepartments lists departments.
func (s *Store) FindDepartments(ctx context.Context) (_ []Department, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindDepartments")
	rows, err := s.pool.Query(ctx, `SELECT slug, name, handles_complaints, email FROM departments ORDER BY name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Department])
}

// ComplaintDepartment returns the department that handles complaints and
// denunciations, if one is configured.
func ComplaintDepartment(ctx context.Context, tx pgx.Tx) (string, error) {
	var slug string
	err := tx.QueryRow(ctx, `SELECT slug FROM departments WHERE handles_complaints ORDER BY slug LIMIT 1`).Scan(&slug)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return slug, err
}
