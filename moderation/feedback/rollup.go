package feedback

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/jackc/pgx/v5"
)

// The summary and the trend read the rollup of migration 00051 instead of
// the items: per day (of Vietnam, when the item was created) a count per
// channel, status, category, province and language value and per flag
// (responded, answered, escalated), and histograms of the whole minutes to
// first response and to answer, kept by triggers on moderation_items as
// appended deltas that Compact folds in. A year is some 23,000 count rows
// and two histograms instead of every item, whatever the number of items.
//
// A range that does not start or end at midnight in Vietnam (an RFC 3339
// from= or to=) reads the whole days from the rollup and the items of the
// partial days at its ends directly, so every figure stays exact.

// rollupZone is the zone of the rollup's days (feedback_day in 00051).
const rollupZone = "Asia/Ho_Chi_Minh"

var rollupLoc = i18n.Vietnam

// sameDays tells whether loc's days are the rollup's, so that a trend
// bucketed in loc can be made of the rollup's days.
func sameDays(loc *time.Location) bool {
	if loc.String() == rollupZone {
		return true
	}
	for _, m := range []time.Month{time.January, time.July} {
		if _, off := time.Date(2000, m, 1, 0, 0, 0, 0, loc).Zone(); off != 7*3600 {
			return false
		}
	}
	return loc.String() != "Local" && loc.String() != "" // a fixed UTC+7 zone
}

// daySplit is a range cut into the rollup's whole days [from, to) (dates,
// YYYY-MM-DD) and the two partial days at its ends, read from the items.
type daySplit struct {
	from, to string
	head     Range
	tail     Range
}

func splitDays(rng Range) daySplit {
	midnight := func(t time.Time) time.Time {
		t = t.In(rollupLoc)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, rollupLoc)
	}
	start, end := midnight(rng.From), midnight(rng.To)
	if start.Before(rng.From) {
		start = start.AddDate(0, 0, 1)
	}
	if !start.Before(end) { // not one whole day: the items, all of them
		d := start.Format(time.DateOnly)
		return daySplit{from: d, to: d, head: rng, tail: Range{rng.To, rng.To}}
	}
	return daySplit{from: start.Format(time.DateOnly), to: end.Format(time.DateOnly),
		head: Range{rng.From, start}, tail: Range{end, rng.To}}
}

func (d daySplit) args() []any {
	return []any{d.from, d.to, d.head.From, d.head.To, d.tail.From, d.tail.To}
}

// edgeItems is the items of the partial days ($3–$6 of daySplit.args), as
// two range scans of the covering summary index.
const edgeItems = `(
	SELECT created_at, source, status, category, province, language, first_response_at, answered_at, escalated
	FROM moderation_items WHERE created_at >= $3 AND created_at < $4
	UNION ALL
	SELECT created_at, source, status, category, province, language, first_response_at, answered_at, escalated
	FROM moderation_items WHERE created_at >= $5 AND created_at < $6) i`

const itemCounts = `feedback_item_counts(i.created_at, i.source, i.status, i.category, i.province, i.language,
	i.first_response_at, i.answered_at, i.escalated) k`

const itemMinutes = `feedback_item_minutes(i.created_at, i.first_response_at, i.answered_at) m`

// countsSQL adds up the counts of the range: compacted, deltas, edges.
const countsSQL = `
	SELECT dim, value, sum(n) FROM (
		SELECT dim, value, n FROM feedback_daily_counts WHERE day >= $1::date AND day < $2::date
		UNION ALL
		SELECT dim, value, n FROM feedback_count_deltas WHERE day >= $1::date AND day < $2::date
		UNION ALL
		SELECT k.dim, k.value, 1 FROM ` + edgeItems + `, ` + itemCounts + `
	) x GROUP BY dim, value HAVING sum(n) <> 0`

// coarseSQL adds up the coarse histograms of the range, by kind and bucket.
const coarseSQL = `
	SELECT kind, bucket, sum(n) FROM (
		SELECT kind, bucket, n FROM feedback_daily_response_coarse WHERE day >= $1::date AND day < $2::date
		UNION ALL
		SELECT kind, feedback_minute_bucket(minutes), n FROM feedback_response_deltas WHERE day >= $1::date AND day < $2::date
		UNION ALL
		SELECT m.kind, feedback_minute_bucket(m.minutes), 1 FROM ` + edgeItems + `, ` + itemMinutes + `
	) x GROUP BY kind, bucket HAVING sum(n) <> 0 ORDER BY kind, bucket`

// fineSQL adds up the minute histogram of kind $7 in the band [$8, $9).
const fineSQL = `
	SELECT minutes, sum(n) FROM (
		SELECT minutes, n FROM feedback_daily_response
		WHERE kind = $7 AND minutes >= $8::bigint AND minutes < $9::bigint AND day >= $1::date AND day < $2::date
		UNION ALL
		SELECT minutes, n FROM feedback_response_deltas
		WHERE kind = $7 AND minutes >= $8::bigint AND minutes < $9::bigint AND day >= $1::date AND day < $2::date
		UNION ALL
		SELECT m.minutes, 1 FROM ` + edgeItems + `, ` + itemMinutes + `
		WHERE m.kind = $7 AND m.minutes >= $8::bigint AND m.minutes < $9::bigint
	) x GROUP BY minutes HAVING sum(n) <> 0 ORDER BY minutes`

// overdueSQL counts the range's open items past due: an index-only scan of
// the open items (moderation_items_open_created_idx).
const overdueSQL = `
	SELECT count(*) FROM moderation_items
	WHERE status IN ` + openSQL + ` AND created_at >= $1 AND created_at < $2 AND due_at < $3`

// Summary computes the figures of items created in rng from the rollup;
// now decides what is overdue (a live count of open items). Every figure
// equals SummaryScan's. The queries share one snapshot, so a summary taken
// while the queue changes is that of one moment.
func (s *Store) Summary(ctx context.Context, rng Range, now time.Time) (Summary, error) {
	sum, err := s.summary(ctx, rng, now)
	if err != nil {
		return Summary{}, fmt.Errorf("feedback summary: %w", err)
	}
	return sum, nil
}

func (s *Store) summary(ctx context.Context, rng Range, now time.Time) (Summary, error) {
	sum := Summary{From: rng.From, To: rng.To}
	split := splitDays(rng)
	args := split.args()
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return sum, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only

	var b pgx.Batch
	b.Queue(countsSQL, args...).Query(func(rows pgx.Rows) error {
		var dim, key string
		var n int
		_, err := pgx.ForEachRow(rows, []any{&dim, &key, &n}, func() error {
			if dim == "flag" {
				switch key {
				case "responded":
					sum.Responded = n
				case "answered":
					sum.Answered = n
				case "escalated":
					sum.Escalated = n
				}
				return nil
			}
			if dim == "channel" { // every item has exactly one channel
				sum.Total += n
			}
			return sum.addCount(dim, key, n)
		})
		return err
	})
	hists := map[string]*histogram{"first": {}, "answer": {}}
	b.Queue(coarseSQL, args...).Query(func(rows pgx.Rows) error {
		var kind string
		var bucket, n int64
		_, err := pgx.ForEachRow(rows, []any{&kind, &bucket, &n}, func() error {
			if h := hists[kind]; h != nil {
				h.add(bucket, n)
			}
			return nil
		})
		return err
	})
	b.Queue(overdueSQL, rng.From, rng.To, now).QueryRow(func(row pgx.Row) error { return row.Scan(&sum.Overdue) })
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return sum, err
	}

	// The medians: the coarse histograms tell which buckets hold the middle
	// item(s); the minute histogram of just those buckets tells their minutes.
	var fine pgx.Batch
	for _, kind := range []string{"first", "answer"} {
		h := hists[kind]
		if h.total == 0 {
			continue
		}
		lo, hi, before := h.band()
		fine.Queue(fineSQL, append(append([]any{}, args...), kind, lo, hi)...).Query(func(rows pgx.Rows) error {
			var m histogram
			var minutes, n int64
			_, err := pgx.ForEachRow(rows, []any{&minutes, &n}, func() error { m.add(minutes, n); return nil })
			if err != nil {
				return err
			}
			med, err := m.median(h.total, before)
			if err != nil {
				return fmt.Errorf("median of %s: %w", kind, err)
			}
			if kind == "first" {
				sum.MedianFirstResponseMinutes = &med
			} else {
				sum.MedianAnswerMinutes = &med
			}
			return nil
		})
	}
	if fine.Len() > 0 {
		if err := tx.SendBatch(ctx, &fine).Close(); err != nil {
			return sum, err
		}
	}
	for _, list := range []*[]Count{&sum.ByChannel, &sum.ByStatus, &sum.ByCategory, &sum.ByProvince, &sum.ByLanguage} {
		sortCounts(*list)
	}
	return sum, nil
}

// histogram is counts by ascending key (a bucket's lower bound, or a
// minute), as the queries return them.
type histogram struct {
	keys  []int64
	ns    []int64
	total int64
}

func (h *histogram) add(key, n int64) {
	h.keys = append(h.keys, key)
	h.ns = append(h.ns, n)
	h.total += n
}

// middle returns the 0-based ranks of the median item(s) of total: one
// when total is odd, the two middle ones when it is even.
func middle(total int64) (lo, hi int64) { return (total - 1) / 2, total / 2 }

// band returns the minutes [lo, hi) of the coarse buckets that hold the
// median item(s) (up to the next bucket that has items, or without end),
// and how many items lie below lo.
func (h *histogram) band() (lo, hi, before int64) {
	r1, r2 := middle(h.total)
	var cum int64
	i1, i2 := -1, -1
	for i, n := range h.ns {
		if i1 < 0 && r1 < cum+n {
			i1, before = i, cum
		}
		if r2 < cum+n {
			i2 = i
			break
		}
		cum += n
	}
	lo, hi = h.keys[i1], math.MaxInt32+1
	if i2+1 < len(h.keys) {
		hi = h.keys[i2+1]
	}
	return lo, hi, before
}

// median is the median of a histogram of whole minutes whose first before
// items are below h's keys: the middle value, or the mean of the two middle
// ones (percentile_cont(0.5) over the items' whole minutes).
func (h *histogram) median(total, before int64) (float64, error) {
	r1, r2 := middle(total)
	cum := before
	var v1, v2 int64
	found := 0
	for i, n := range h.ns {
		if found == 0 && r1 < cum+n {
			v1, found = h.keys[i], 1
		}
		if found == 1 && r2 < cum+n {
			v2, found = h.keys[i], 2
			break
		}
		cum += n
	}
	if found < 2 {
		return 0, errors.New("the minute histogram does not hold the middle items")
	}
	return float64(v1) + float64(v2-v1)/2, nil
}

// trendSQL adds up arrivals by day and channel, and answered items by day.
const trendSQL = `
	SELECT day, dim, value, sum(n) FROM (
		SELECT day, dim, value, n FROM feedback_daily_counts
		WHERE day >= $1::date AND day < $2::date AND (dim = 'channel' OR (dim = 'flag' AND value = 'answered'))
		UNION ALL
		SELECT day, dim, value, n FROM feedback_count_deltas
		WHERE day >= $1::date AND day < $2::date AND (dim = 'channel' OR (dim = 'flag' AND value = 'answered'))
		UNION ALL
		SELECT k.day, k.dim, k.value, 1 FROM ` + edgeItems + `, ` + itemCounts + `
		WHERE k.dim = 'channel' OR (k.dim = 'flag' AND k.value = 'answered')
	) x GROUP BY day, dim, value HAVING sum(n) <> 0`

// Trend returns arrivals per bucket in rng (empty buckets included), by
// channel, with how many of them are answered by now; from the rollup when
// the store's days are Vietnam's (always, as wired), else from the items.
func (s *Store) Trend(ctx context.Context, rng Range, b Bucket) ([]TrendPoint, error) {
	if !sameDays(s.loc) {
		return s.TrendScan(ctx, rng, b)
	}
	rows, err := s.pool.Query(ctx, trendSQL, splitDays(rng).args()...)
	if err != nil {
		return nil, err
	}
	byStart := map[time.Time]*TrendPoint{}
	var day time.Time
	var dim, value string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&day, &dim, &value, &n}, func() error {
		start := s.truncate(time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, s.loc), b)
		p := byStart[start]
		if p == nil {
			p = &TrendPoint{Start: start, ByChannel: map[string]int{}}
			byStart[start] = p
		}
		if dim == "flag" {
			p.Answered += n
		} else {
			p.ByChannel[value] += n
			p.Total += n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.points(rng, b, byStart), nil
}

// compactBatch bounds one transaction of the compaction.
const compactBatch = 20000

// Compact folds the rollup's deltas into its compacted tables, in
// transactions of at most compactBatch deltas of each kind, and returns
// how many it folded. One node compacts at a time: on the others it
// returns 0 at once. Figures are right whether or not it has run; it keeps
// the summary fast (the escalation job runs it, see Escalator.Rollup).
func (s *Store) Compact(ctx context.Context) (int, error) {
	moved := 0
	for {
		var counts, responses int
		if err := s.pool.QueryRow(ctx, `SELECT counts, responses FROM feedback_rollup_compact($1)`, compactBatch).
			Scan(&counts, &responses); err != nil {
			return moved, fmt.Errorf("compact the feedback rollup: %w", err)
		}
		if counts < 0 { // another node is at it
			return moved, nil
		}
		moved += counts + responses
		if counts < compactBatch && responses < compactBatch {
			return moved, nil
		}
	}
}
