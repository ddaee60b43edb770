package callcenter

import (
	"context"
	"fmt"
	"time"

	"github.com/doithoai/doithoai/internal/db"
	"github.com/jackc/pgx/v5"
)

// lateBatch bounds one transaction of the late-callback job.
const lateBatch = 200

// lateEvery is how often every node looks for late callback tasks.
const lateEvery = time.Minute

// EscalateLateCallbacks marks, once, every open callback task still not
// done HOTLINE_CALLBACK_GRACE after its due time, and escalates its item
// (the ticket's or the live question's) like an item past its SLA: an
// audit entry by the system and the console's event. Several nodes may
// run it at once: SKIP LOCKED gives each task to one of them. It returns
// how many tasks it marked.
func (c *Center) EscalateLateCallbacks(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := c.store.escalateLateCallbacks(ctx, c.engine.now().Add(-c.cfg.CallbackGrace), lateBatch)
		total += n
		if err != nil || n < lateBatch {
			return total, err
		}
	}
}

func (s *Store) escalateLateCallbacks(ctx context.Context, dueBefore time.Time, limit int) (int, error) {
	n := 0
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			UPDATE hotline_callbacks c SET escalated_at = now()
			WHERE c.id IN (SELECT id FROM hotline_callbacks
			               WHERE status = 'open' AND escalated_at IS NULL AND due_at < $1
			               ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
			RETURNING c.due_at, coalesce(c.item_id, (SELECT item_id FROM hotline_tickets WHERE id = c.ticket_id))`, dueBefore, limit)
		if err != nil {
			return err
		}
		type late struct {
			Due    time.Time
			ItemID *int64
		}
		list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[late])
		if err != nil {
			return err
		}
		n = len(list)
		for _, l := range list {
			if l.ItemID == nil {
				continue // an abandoned call has no item: the desk shows it as late
			}
			if err := s.mod.EscalateForCallback(ctx, tx, *l.ItemID, l.Due); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("callcenter.escalateLateCallbacks: %w", err)
	}
	return n, nil
}

// runLateCallbacks runs EscalateLateCallbacks now and every lateEvery
// until ctx ends.
func (c *Center) runLateCallbacks(ctx context.Context) {
	t := time.NewTicker(lateEvery)
	defer t.Stop()
	for {
		if n, err := c.EscalateLateCallbacks(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("hotline: escalating late callbacks", "err", err)
		} else if n > 0 {
			c.log.Info("hotline: late callbacks escalated", "tasks", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
