// Command benchfeedback measures the leaders' summary (issue 6) over a
// large queue: target ≤ 500 ms over 1,000,000 items.
//
// It starts its own PostgreSQL in a temporary directory (loopback only,
// fsync off), migrates it, generates -n items with COPY (progress on
// stderr), runs VACUUM ANALYZE as autovacuum would, then times
// feedback.Store.Summary -runs times over the whole year and over the last
// 30 days, the dashboard's trend and backlog queries, and (with -export)
// one full CSV export. Everything is bounded by -timeout. It prints a
// Markdown section for BENCHMARKS.md.
//
//	go run ./cmd/benchfeedback                # 1,000,000 items, 20 runs
//	go run ./cmd/benchfeedback -n 100000 -runs 5
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/localserver"
	"github.com/doithoai/doithoai/migrations"
	"github.com/doithoai/doithoai/moderation"
	"github.com/doithoai/doithoai/moderation/feedback"
	"github.com/jackc/pgx/v5/pgxpool"
)

type options struct {
	n             int
	runs          int
	timeout       time.Duration
	export        bool
	sharedBuffers string
	seed          uint64
	explain       bool
	dir           string
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 1_000_000, "items to generate")
	flag.IntVar(&o.runs, "runs", 20, "timed runs of each query")
	flag.DurationVar(&o.timeout, "timeout", 15*time.Minute, "give up after this long, whatever is left")
	flag.BoolVar(&o.export, "export", false, "also time one full CSV export of the year")
	flag.StringVar(&o.sharedBuffers, "shared-buffers", "256MB", "PostgreSQL shared_buffers")
	flag.Uint64Var(&o.seed, "seed", 6, "random seed of the generated items")
	flag.StringVar(&o.dir, "dir", "", "keep the database here and reuse it next time (default: a temporary directory, removed)")
	flag.BoolVar(&o.explain, "explain", false, "print the plans of the summary's queries (EXPLAIN ANALYZE) on stderr")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, o.timeout)
	defer cancelT()
	if err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchfeedback:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, stdout, stderr io.Writer) error {
	dir := o.dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "benchfeedback-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	fmt.Fprintln(stderr, "starting PostgreSQL in", dir)
	pg, err := localserver.StartPostgres(ctx, localserver.PostgresOptions{Dir: dir, SharedBuffers: o.sharedBuffers})
	if err != nil {
		return err
	}
	defer pg.Stop()
	url := pg.URL("postgres")
	if _, err := db.Migrate(ctx, url, migrations.FS, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		return err
	}
	pool, err := db.Open(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()

	now := time.Now()
	sla := moderation.DefaultSLA()
	if sla, err = feedback.DefaultConfig().SLA(sla); err != nil {
		return err
	}
	var have int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM moderation_items`).Scan(&have); err != nil {
		return err
	}
	start := time.Now()
	if have != o.n {
		if _, err := pool.Exec(ctx, `TRUNCATE moderation_items CASCADE`); err != nil {
			return err
		}
		if err := generate(ctx, pool, o.n, o.seed, now, sla, stderr); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "VACUUM ANALYZE …")
		if _, err := pool.Exec(ctx, "VACUUM ANALYZE moderation_items"); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stderr, "reusing the %d items in %s\n", have, dir)
	}
	genTook := time.Since(start)
	var tableSize, indexSize, pgVersion string
	_ = pool.QueryRow(ctx, `SELECT pg_size_pretty(pg_table_size('moderation_items')), pg_size_pretty(pg_relation_size('moderation_items_summary_idx')), current_setting('server_version')`).
		Scan(&tableSize, &indexSize, &pgVersion)

	store := feedback.NewStore(pool, sla.Location)
	loc := sla.Location
	today := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc)
	year := feedback.Range{From: today.AddDate(-1, 0, 0), To: today.AddDate(0, 0, 1)}
	month := feedback.Range{From: today.AddDate(0, 0, -29), To: today.AddDate(0, 0, 1)}

	if o.explain {
		explain(ctx, pool, year, now, stderr)
	}
	var check feedback.Summary
	type result struct {
		name string
		d    []time.Duration
	}
	var results []result
	measure := func(name string, fn func() error) error {
		if err := fn(); err != nil { // warm-up, untimed
			return fmt.Errorf("%s: %w", name, err)
		}
		r := result{name: name}
		for i := 0; i < o.runs && ctx.Err() == nil; i++ {
			t := time.Now()
			if err := fn(); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			r.d = append(r.d, time.Since(t))
		}
		results = append(results, r)
		fmt.Fprintf(stderr, "%-40s p50 %v\n", name, pct(r.d, 50))
		return nil
	}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"summary, whole year (all items)", func() (err error) { check, err = store.Summary(ctx, year, now); return err }},
		{"summary, last 30 days", func() error { _, err := store.Summary(ctx, month, now); return err }},
		{"trend, whole year by week", func() error { _, err := store.Trend(ctx, year, feedback.Week); return err }},
		{"trend, last 30 days by day", func() error { _, err := store.Trend(ctx, month, feedback.Day); return err }},
		{"backlog (open, overdue, inbox, directives)", func() error { _, err := store.FindBacklog(ctx, now); return err }},
		{"escalated inbox, 10 newest", func() error { _, err := store.FindEscalated(ctx, true, now, 10); return err }},
	}
	for _, s := range steps {
		if err := measure(s.name, s.fn); err != nil {
			return err
		}
	}
	if check.Total != o.n {
		return fmt.Errorf("the year's summary counts %d items, want %d", check.Total, o.n)
	}
	exportLine := ""
	if o.export {
		rows, t := 0, time.Now()
		if err := store.Export(ctx, year, func(feedback.ExportRow) error { rows++; return nil }); err != nil {
			return err
		}
		took := time.Since(t)
		exportLine = fmt.Sprintf("\nFull export of the year (%d rows, rows only, no HTTP): %v, %.0f rows/s.\n", rows, took.Round(time.Millisecond), float64(rows)/took.Seconds())
	}

	var b strings.Builder
	fmt.Fprintf(&b, "## Leader summary (issue 6) — `go run ./cmd/benchfeedback -n %d -runs %d`\n\n", o.n, o.runs)
	fmt.Fprintf(&b, "Machine: %d cores (GOMAXPROCS %d), %s/%s, %s, PostgreSQL %s (fsync off, shared_buffers %s), loopback; %s.\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version(), pgVersion, o.sharedBuffers, now.Format("2006-01-02"))
	fmt.Fprintf(&b, "Data: %d items over 365 days generated with COPY in %v; table %s, summary index %s.\n\n", o.n, genTook.Round(time.Second), tableSize, indexSize)
	fmt.Fprintf(&b, "| query | p50 | p95 | min | max | runs |\n|---|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %v | %v | %v | %v | %d |\n", r.name, ms(pct(r.d, 50)), ms(pct(r.d, 95)), ms(pct(r.d, 0)), ms(pct(r.d, 100)), len(r.d))
	}
	fmt.Fprintf(&b, "\nTarget: summary over 1,000,000 items ≤ 500 ms. The year's summary counted %d items, %d overdue, medians %.0f and %.0f minutes.\n",
		check.Total, check.Overdue, deref(check.MedianFirstResponseMinutes), deref(check.MedianAnswerMinutes))
	b.WriteString(exportLine)
	_, err = io.WriteString(stdout, b.String())
	return err
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s) - 1) * p / 100
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// explain prints the plans of the summary's two queries over r.
func explain(ctx context.Context, pool *pgxpool.Pool, r feedback.Range, now time.Time, w io.Writer) {
	for _, q := range []string{
		`SELECT count(*) FROM moderation_items WHERE created_at >= $1 AND created_at < $2 GROUP BY GROUPING SETS ((source), (status), (category), (province), (language))`,
		`SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - created_at)), percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - created_at)), count(*) FILTER (WHERE status IN ('pending','approved','info_requested') AND due_at < $3) FROM moderation_items WHERE created_at >= $1 AND created_at < $2`,
	} {
		args := []any{r.From, r.To}
		if strings.Contains(q, "$3") {
			args = append(args, now)
		}
		rows, err := pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q, args...)
		if err != nil {
			fmt.Fprintln(w, "explain:", err)
			return
		}
		for rows.Next() {
			var line string
			_ = rows.Scan(&line)
			fmt.Fprintln(w, line)
		}
		rows.Close()
		fmt.Fprintln(w)
	}
}
