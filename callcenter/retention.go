package callcenter

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PurgePersonalData deletes what the hotline keeps about callers once it is
// older than before: the recordings (in the blob store) of tickets whose callback is not
// still open, and the caller numbers of those tickets and of old call
// records. Ticket rows, durations and IVR paths stay for the statistics.
// Safe to run on every node at once: each step is idempotent.
func (c *Center) PurgePersonalData(ctx context.Context, before time.Time) (int, error) {
	rows, err := c.store.pool.Query(ctx, `
		SELECT t.id, t.recording_path FROM hotline_tickets t
		WHERE t.created_at < $1 AND (t.recording_path <> '' OR t.caller <> '')
		  AND NOT EXISTS (SELECT 1 FROM hotline_callbacks cb WHERE cb.ticket_id = t.id AND cb.status = 'open')
		LIMIT 1000`, before)
	if err != nil {
		return 0, err
	}
	type old struct {
		id   int64
		path string
	}
	olds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (old, error) {
		var o old
		return o, r.Scan(&o.id, &o.path)
	})
	if err != nil {
		return 0, err
	}
	for _, o := range olds {
		// The blob goes first: a crash in between leaves a row pointing at
		// nothing (the download answers 404), never a blob nobody tracks.
		if err := deleteRecording(ctx, c.cfg, o.path); err != nil {
			return 0, fmt.Errorf("callcenter.PurgePersonalData: %w", err)
		}
		if _, err := c.store.pool.Exec(ctx, `UPDATE hotline_tickets SET recording_path = '', caller = '' WHERE id = $1`, o.id); err != nil {
			return 0, err
		}
	}
	if _, err := c.store.pool.Exec(ctx, `UPDATE hotline_calls SET caller = '' WHERE started_at < $1 AND caller <> ''`, before); err != nil {
		return 0, err
	}
	// Notes of a call whose ticket was never made (the node died mid-call).
	if _, err := c.store.pool.Exec(ctx, `DELETE FROM hotline_call_notes WHERE updated_at < $1`, before); err != nil {
		return 0, err
	}
	// Abandoned calls' callbacks keep the number until they are done.
	if _, err := c.store.pool.Exec(ctx, `UPDATE hotline_callbacks SET caller = '' WHERE kind = 'abandoned' AND status = 'done' AND created_at < $1 AND caller <> ''`, before); err != nil {
		return 0, err
	}
	live, err := c.purgeLiveQuestions(ctx, before) // callback_live.go
	if err != nil {
		return 0, err
	}
	orphans, err := c.sweepOrphans(ctx, time.Now()) // recording_store.go
	if err != nil {
		return 0, err
	}
	if orphans > 0 {
		c.log.Info("hotline: recordings no ticket names deleted", "count", orphans)
	}
	return len(olds) + live, nil
}
