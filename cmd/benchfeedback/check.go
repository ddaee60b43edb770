package main

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/doithoai/doithoai/moderation/feedback"
	"github.com/jackc/pgx/v5/pgxpool"
)

// compare checks that the rollup's summary and trend of each range equal
// those computed from the items.
func compare(ctx context.Context, store *feedback.Store, now time.Time, ranges map[string]feedback.Range) error {
	for name, rng := range ranges {
		got, err := store.Summary(ctx, rng, now)
		if err != nil {
			return err
		}
		want, err := store.SummaryScan(ctx, rng, now)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, want) {
			return fmt.Errorf("%s: the rollup's summary %+v differs from the items' %+v", name, got, want)
		}
		for _, b := range []feedback.Bucket{feedback.Day, feedback.Week} {
			got, err := store.Trend(ctx, rng, b)
			if err != nil {
				return err
			}
			want, err := store.TrendScan(ctx, rng, b)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want) {
				return fmt.Errorf("%s by %s: the rollup's trend differs from the items'", name, b)
			}
		}
	}
	return nil
}

// measureWrites times single-row writes, a statement each as the queue's
// actions are, with the rollup's triggers and without them.
func measureWrites(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	const n = 2000
	rows, err := pool.Query(ctx, `SELECT id FROM moderation_items WHERE status = 'pending' ORDER BY id LIMIT $1`, n)
	if err != nil {
		return "", err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return "", fmt.Errorf("no pending items to change (%v)", err)
	}
	// Each run is one transaction, rolled back: the figures stay as they
	// were, and so does the table (ALTER TABLE is transactional).
	run := func(triggers bool) (upd, ins time.Duration, err error) {
		tx, err := pool.Begin(ctx)
		if err != nil {
			return 0, 0, err
		}
		defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // always undone
		if !triggers {
			if _, err := tx.Exec(ctx, `ALTER TABLE moderation_items DISABLE TRIGGER USER`); err != nil {
				return 0, 0, err
			}
		}
		t := time.Now()
		for _, id := range ids {
			if _, err := tx.Exec(ctx, `UPDATE moderation_items SET status = 'approved', updated_at = now() WHERE id = $1`, id); err != nil {
				return 0, 0, err
			}
		}
		upd = time.Since(t) / time.Duration(len(ids))
		t = time.Now()
		for i := range n {
			if _, err := tx.Exec(ctx, `INSERT INTO moderation_items (source, ref, content, category, province, language, due_at)
				VALUES ('report', $1, 'nội dung', 'khac', 'Lào Cai', 'vi', now() + interval '1 day')`, fmt.Sprintf("bench-write-%d", i)); err != nil {
				return 0, 0, err
			}
		}
		return upd, time.Since(t) / n, nil
	}
	// A warm-up, then each way twice, alternating; the faster of each.
	if _, _, err := run(true); err != nil {
		return "", err
	}
	updOn, insOn, updOff, insOff := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64), time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	for range 2 {
		for _, on := range []bool{false, true} {
			upd, ins, err := run(on)
			if err != nil {
				return "", err
			}
			if on {
				updOn, insOn = min(updOn, upd), min(insOn, ins)
			} else {
				updOff, insOff = min(updOff, upd), min(insOff, ins)
			}
		}
	}
	us := func(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1000) }
	return fmt.Sprintf("Single-row writes (%d each, one statement each, in a transaction rolled back; the faster of two runs): a status change %s with the rollup's triggers, %s without; "+
		"an INSERT %s with, %s without.\n", len(ids), us(updOn), us(updOff), us(insOn), us(insOff)), nil
}
