package feedback

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// FindEscalated lists escalated items: those waiting for a leader (not
// signed off since they were last escalated) when waiting is true, the
// signed-off ones otherwise; most recently escalated first.
func (s *Store) FindEscalated(ctx context.Context, waiting bool, now time.Time, limit int) ([]InboxItem, error) {
	cond := `i.signed_off_at IS NOT NULL AND i.signed_off_at >= i.escalated_at`
	if waiting {
		cond = `(i.signed_off_at IS NULL OR i.signed_off_at < i.escalated_at)`
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	// A live question's title is its session's: it is shown by its own text.
	rows, err := s.pool.Query(ctx, `
		SELECT i.id, i.source, CASE WHEN i.title <> '' AND i.source <> 'live_question' THEN i.title ELSE left(i.content, 120) END,
		       i.category, i.province, i.status, coalesce(a.login, ''), i.created_at, i.due_at,
		       i.escalated_at, i.signed_off_at, coalesce(so.login, ''),
		       (SELECT count(*) FROM directives d WHERE d.item_id = i.id AND d.status = 'open'),
		       i.status IN `+openSQL+` AND i.due_at < $1
		FROM moderation_items i
		LEFT JOIN users a ON a.id = i.assignee_id
		LEFT JOIN users so ON so.id = i.signed_off_by
		WHERE i.escalated AND `+cond+`
		ORDER BY i.escalated_at DESC NULLS LAST, i.id DESC
		LIMIT $2`, now, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[InboxItem])
}

// FindDirectives lists directives with their items: open ones by deadline
// (those without one last), done ones most recent first.
func (s *Store) FindDirectives(ctx context.Context, f DirectiveFilter, now time.Time) ([]DirectiveRow, error) {
	where, args := []string{"true"}, []any{now}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	order := `d.status = 'done', d.deadline NULLS LAST, d.id`
	switch f.Status {
	case "":
	case "open":
		where = append(where, "d.status = 'open'")
	case "overdue":
		where = append(where, "d.status = 'open' AND d.deadline < $1")
	case "done":
		where = append(where, "d.status = 'done'")
		order = `d.done_at DESC, d.id DESC`
	default:
		return nil, errBadDirectiveStatus
	}
	if f.ItemID > 0 {
		where = append(where, "d.item_id = "+arg(f.ItemID))
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 200
	}
	rows, err := s.pool.Query(ctx, `
		SELECT d.id, d.item_id, CASE WHEN i.title <> '' AND i.source <> 'live_question' THEN i.title ELSE left(i.content, 120) END,
		       l.login, d.note, coalesce(d.department, ''), d.deadline, d.status, d.created_at,
		       d.done_at, coalesce(db.login, ''), d.done_note, d.escalated_at,
		       coalesce(d.status = 'open' AND d.deadline < $1, false),
		       coalesce(nullif(l.display_name, ''), l.login), coalesce(nullif(db.display_name, ''), db.login, '')
		FROM directives d
		JOIN moderation_items i ON i.id = d.item_id
		JOIN users l ON l.id = d.leader_id
		LEFT JOIN users db ON db.id = d.done_by
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY `+order+fmt.Sprintf(` LIMIT %d`, f.Limit), args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[DirectiveRow])
}

// ExportRow is one line of the CSV export.
type ExportRow struct {
	ID            int64
	Source        string
	Category      string
	Province      string
	Language      string
	Status        string
	CreatedAt     time.Time
	FirstResponse *time.Time
	AnsweredAt    *time.Time
	Assignee      string
	DueAt         time.Time
	Escalated     bool
	Title         string
}

// Export calls fn for every item created in rng, oldest first, streaming:
// a year of items never sits in memory. fn's error stops the walk.
func (s *Store) Export(ctx context.Context, rng Range, fn func(ExportRow) error) error {
	rows, err := s.pool.Query(ctx, `
		SELECT i.id, i.source, i.category, i.province, i.language, i.status, i.created_at,
		       i.first_response_at, i.answered_at, coalesce(u.login, ''), i.due_at, i.escalated, i.title
		FROM moderation_items i LEFT JOIN users u ON u.id = i.assignee_id
		WHERE i.created_at >= $1 AND i.created_at < $2
		ORDER BY i.created_at, i.id`, rng.From, rng.To)
	if err != nil {
		return err
	}
	defer rows.Close()
	var r ExportRow
	for rows.Next() {
		if err := rows.Scan(&r.ID, &r.Source, &r.Category, &r.Province, &r.Language, &r.Status, &r.CreatedAt,
			&r.FirstResponse, &r.AnsweredAt, &r.Assignee, &r.DueAt, &r.Escalated, &r.Title); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
