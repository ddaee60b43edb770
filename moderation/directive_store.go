package moderation

import (
	"context"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// FindDirectives lists an item's directives, oldest first.
func (s *Store) FindDirectives(ctx context.Context, itemID int64) (_ []Directive, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindDirectives(%d)", itemID)
	rows, err := s.pool.Query(ctx, `
		SELECT d.id, d.item_id, u.login, coalesce(nullif(u.display_name, ''), u.login), d.note, coalesce(d.department, ''),
			to_char(d.deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), d.status,
			to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
		FROM directives d JOIN users u ON u.id = d.leader_id
		WHERE d.item_id = $1 ORDER BY d.id`, itemID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Directive])
}
