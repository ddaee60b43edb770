package feedback

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"
)

// Store reads the figures of the queue.
type Store struct {
	pool *pgxpool.Pool
	loc  *time.Location // days and weeks are Vietnam's, whatever the server's zone
}

// NewStore returns a store on pool that buckets days in loc.
func NewStore(pool *pgxpool.Pool, loc *time.Location) *Store {
	if loc == nil {
		loc = time.UTC
	}
	return &Store{pool: pool, loc: loc}
}

const openSQL = `('pending', 'approved', 'info_requested')`

// SummaryScan computes the same figures as Summary straight from the items
// (two scans of the covering index moderation_items_summary_idx, side by
// side): the definition that the rollup must agree with, kept for tests
// and benchmarks. It costs about a second over a million items.
func (s *Store) SummaryScan(ctx context.Context, rng Range, now time.Time) (Summary, error) {
	sum := Summary{From: rng.From, To: rng.To}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		rows, err := s.pool.Query(gctx, `
			SELECT CASE WHEN grouping(source) = 0 THEN 'channel' WHEN grouping(status) = 0 THEN 'status'
			            WHEN grouping(category) = 0 THEN 'category' WHEN grouping(province) = 0 THEN 'province'
			            ELSE 'language' END,
			       coalesce(source, status, category, province, language), count(*)
			FROM moderation_items
			WHERE created_at >= $1 AND created_at < $2
			GROUP BY GROUPING SETS ((source), (status), (category), (province), (language))`, rng.From, rng.To)
		if err != nil {
			return err
		}
		var dim, key string
		var n int
		_, err = pgx.ForEachRow(rows, []any{&dim, &key, &n}, func() error { return sum.addCount(dim, key, n) })
		return err
	})
	g.Go(func() error {
		tx, err := s.pool.Begin(gctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.Background()) //nolint:errcheck // read-only
		// Both medians sort up to a value per item: in memory, not on disk.
		if _, err := tx.Exec(gctx, `SET LOCAL work_mem = '64MB'`); err != nil {
			return err
		}
		return tx.QueryRow(gctx, `
			SELECT count(*), count(first_response_at), count(answered_at),
			       percentile_cont(0.5) WITHIN GROUP (ORDER BY feedback_minutes(created_at, first_response_at)),
			       percentile_cont(0.5) WITHIN GROUP (ORDER BY feedback_minutes(created_at, answered_at)),
			       count(*) FILTER (WHERE status IN `+openSQL+` AND due_at < $3),
			       count(*) FILTER (WHERE escalated)
			FROM moderation_items
			WHERE created_at >= $1 AND created_at < $2`, rng.From, rng.To, now).
			Scan(&sum.Total, &sum.Responded, &sum.Answered, &sum.MedianFirstResponseMinutes, &sum.MedianAnswerMinutes,
				&sum.Overdue, &sum.Escalated)
	})
	if err := g.Wait(); err != nil {
		return Summary{}, fmt.Errorf("feedback summary: %w", err)
	}
	for _, list := range []*[]Count{&sum.ByChannel, &sum.ByStatus, &sum.ByCategory, &sum.ByProvince, &sum.ByLanguage} {
		sortCounts(*list)
	}
	return sum, nil
}

// sortCounts orders a breakdown largest first, then by key, so that pages
// and tests see a stable order.
func sortCounts(cs []Count) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Count != cs[j].Count {
			return cs[i].Count > cs[j].Count
		}
		return cs[i].Key < cs[j].Key
	})
}

// Bucket is the width of a trend bar.
type Bucket string

// Buckets of a trend.
const (
	Day   Bucket = "day"
	Week  Bucket = "week"
	Month Bucket = "month"
)

// BucketFor picks a width that gives a readable number of bars.
func BucketFor(rng Range) Bucket {
	switch days := rng.To.Sub(rng.From).Hours() / 24; {
	case days <= 62:
		return Day
	case days <= 400:
		return Week
	default:
		return Month
	}
}

// TrendScan computes the same points as Trend straight from the items:
// the definition the rollup must agree with, and the way when the store's
// days are not the rollup's.
func (s *Store) TrendScan(ctx context.Context, rng Range, b Bucket) ([]TrendPoint, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT date_trunc($3, created_at AT TIME ZONE $4), source, count(*), count(answered_at)
		FROM moderation_items
		WHERE created_at >= $1 AND created_at < $2
		GROUP BY 1, 2`, rng.From, rng.To, string(b), s.loc.String())
	if err != nil {
		return nil, err
	}
	byStart := map[time.Time]*TrendPoint{}
	var at time.Time
	var src string
	var n, answered int
	_, err = pgx.ForEachRow(rows, []any{&at, &src, &n, &answered}, func() error {
		start := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, s.loc)
		p := byStart[start]
		if p == nil {
			p = &TrendPoint{Start: start, ByChannel: map[string]int{}}
			byStart[start] = p
		}
		p.ByChannel[src] += n
		p.Total += n
		p.Answered += answered
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.points(rng, b, byStart), nil
}

// points lays the buckets of rng out in order, empty ones included.
func (s *Store) points(rng Range, b Bucket, byStart map[time.Time]*TrendPoint) []TrendPoint {
	var out []TrendPoint
	for t := s.truncate(rng.From, b); t.Before(rng.To); t = step(t, b) {
		if p := byStart[t]; p != nil {
			out = append(out, *p)
		} else {
			out = append(out, TrendPoint{Start: t, ByChannel: map[string]int{}})
		}
		if len(out) > 1000 {
			break
		}
	}
	return out
}

func (s *Store) truncate(t time.Time, b Bucket) time.Time {
	t = t.In(s.loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, s.loc)
	switch b {
	case Week: // ISO weeks start on Monday, as date_trunc's do
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case Month:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, s.loc)
	}
	return day
}

func step(t time.Time, b Bucket) time.Time {
	switch b {
	case Week:
		return t.AddDate(0, 0, 7)
	case Month:
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(0, 0, 1)
}

// Backlog is the queue's state now, whatever the range: what is open,
// overdue, and waiting for a leader.
type Backlog struct {
	Open              int
	Overdue           int
	EscalatedWaiting  int
	DirectivesOpen    int
	DirectivesOverdue int
}

// FindBacklog counts the queue's state at now.
func (s *Store) FindBacklog(ctx context.Context, now time.Time) (Backlog, error) {
	var b Backlog
	err := s.pool.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM moderation_items WHERE status IN `+openSQL+`),
		       (SELECT count(*) FROM moderation_items WHERE status IN `+openSQL+` AND due_at < $1),
		       (SELECT count(*) FROM moderation_items WHERE escalated AND (signed_off_at IS NULL OR signed_off_at < escalated_at)),
		       (SELECT count(*) FROM directives WHERE status = 'open'),
		       (SELECT count(*) FROM directives WHERE status = 'open' AND deadline < $1)`, now).
		Scan(&b.Open, &b.Overdue, &b.EscalatedWaiting, &b.DirectivesOpen, &b.DirectivesOverdue)
	return b, err
}
