package moderation

import (
	"context"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/jackc/pgx/v5"
)

// openStatuses are the statuses whose items still run against their SLA.
const openStatuses = `('pending', 'approved', 'info_requested')`

// EscalateOverdue flags up to limit open items whose due time has passed
// and that no one has escalated yet. Each one gets an audit entry with no
// actor (the system) and the same NOTIFY the queue's own actions send.
//
// Several nodes may run it at once: FOR UPDATE SKIP LOCKED hands each row
// to one of them, and the NOT escalated condition is re-checked on the row
// a node finally locks, so no item is escalated (or audited) twice.
func (s *Service) EscalateOverdue(ctx context.Context, limit int) (_ []Item, err error) {
	defer apperr.Wrap(&err, "moderation.Service.EscalateOverdue")
	var out []Item
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			UPDATE moderation_items SET escalated = true, escalated_at = now(), updated_at = now()
			WHERE id IN (SELECT id FROM moderation_items
			             WHERE NOT escalated AND status IN `+openStatuses+` AND due_at < $1
			             ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
			RETURNING id`, s.now(), limit)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		for _, id := range ids {
			it, err := findItem(ctx, tx, `i.id = $1`, id)
			if err != nil {
				return err
			}
			before := snapshot(it)
			before.Escalated = false
			if err := appendAudit(ctx, tx, id, nil, ActionEscalate, "overdue", before, snapshot(it)); err != nil {
				return err
			}
			if err := s.tellEscalated(ctx, tx, it); err != nil {
				return err
			}
			if err := notify(ctx, tx, it, "escalated"); err != nil {
				return err
			}
			out = append(out, it)
		}
		return nil
	})
	return out, err
}

// OverdueDirective is a directive whose deadline passed while it was open.
type OverdueDirective struct {
	ID     int64
	ItemID int64
	Note   string
}

// EscalateOverdueDirectives puts back in front of the leaders the items
// whose directives are past their deadline and not done: the directive is
// marked as escalated (once), and its item escalated again, with an audit
// entry "directive_overdue" by the system. Safe on several nodes at once,
// for the same reasons as EscalateOverdue.
func (s *Service) EscalateOverdueDirectives(ctx context.Context, limit int) (_ []OverdueDirective, err error) {
	defer apperr.Wrap(&err, "moderation.Service.EscalateOverdueDirectives")
	var out []OverdueDirective
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			UPDATE directives SET escalated_at = now()
			WHERE id IN (SELECT id FROM directives
			             WHERE status = 'open' AND escalated_at IS NULL AND deadline < $1
			             ORDER BY deadline LIMIT $2 FOR UPDATE SKIP LOCKED)
			RETURNING id, item_id, note`, s.now(), limit)
		if err != nil {
			return err
		}
		if out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[OverdueDirective]); err != nil {
			return err
		}
		for _, d := range out {
			it, err := findItem(ctx, tx, `i.id = $1 FOR UPDATE OF i`, d.ItemID)
			if err != nil {
				return err
			}
			before := snapshot(it)
			if _, err := tx.Exec(ctx, `UPDATE moderation_items SET escalated = true, escalated_at = now(), updated_at = now() WHERE id = $1`, it.ID); err != nil {
				return err
			}
			if it, err = findItem(ctx, tx, `i.id = $1`, d.ItemID); err != nil {
				return err
			}
			if err := appendAudit(ctx, tx, it.ID, nil, "directive_overdue", d.Note, before, snapshot(it)); err != nil {
				return err
			}
			// Those responsible for the directive are told it is late; the
			// leaders, that its item is escalated again.
			if err := s.tellDirective(ctx, tx, EventDirectiveOverdue, it, d.ID); err != nil {
				return err
			}
			if err := s.tellEscalated(ctx, tx, it); err != nil {
				return err
			}
			if err := notify(ctx, tx, it, "escalated"); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// SetClock replaces the service's clock (tests of SLA and escalation).
// Call it before the node serves; it is not safe to change while running.
func (s *Service) SetClock(now func() time.Time) { s.now = now }
