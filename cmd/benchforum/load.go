package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/doithoai/doithoai/forum"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/vntext"
	"github.com/doithoai/doithoai/migrations"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"
)

// dataVersion changes whenever the generator changes, so -keep never
// benchmarks data made by an older generator.
const dataVersion = 2

// dbName is the benchmark's database on its private server.
const dbName = "bench"

// prepareDatabase makes sure the bench database holds n generated
// questions for seed: reused when -keep kept a matching one, otherwise
// created, migrated and loaded.
func prepareDatabase(ctx context.Context, adminURL, benchURL string, n int, seed uint64) (reused bool, err error) {
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return false, err
	}
	defer admin.Close(ctx)
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, dbName).Scan(&exists); err != nil {
		return false, err
	}
	if exists {
		ok, why := matchingData(ctx, benchURL, n, seed)
		if ok {
			logf("reusing the kept database (%d questions, seed %d)", n, seed)
			// A newer migration may have arrived since the data was made.
			_, err := db.Migrate(ctx, benchURL, migrations.FS, quietLog())
			return err == nil, err
		}
		logf("kept database does not match (%s): loading it again", why)
		if _, err := admin.Exec(ctx, `DROP DATABASE `+dbName+` WITH (FORCE)`); err != nil {
			return false, err
		}
	}
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+dbName); err != nil {
		return false, err
	}
	if _, err := db.Migrate(ctx, benchURL, migrations.FS, quietLog()); err != nil {
		return false, err
	}
	return false, loadQuestions(ctx, benchURL, n, seed)
}

func matchingData(ctx context.Context, url string, n int, seed uint64) (bool, string) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return false, err.Error()
	}
	defer conn.Close(ctx)
	var gotN, gotVersion int
	var gotSeed int64
	err = conn.QueryRow(ctx, `SELECT questions, seed, version FROM bench_meta`).Scan(&gotN, &gotSeed, &gotVersion)
	switch {
	case err != nil:
		return false, "no finished load"
	case gotN != n || uint64(gotSeed) != seed:
		return false, fmt.Sprintf("it has %d questions from seed %d", gotN, gotSeed)
	case gotVersion != dataVersion:
		return false, "made by an older generator"
	}
	return true, ""
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

var questionCols = []string{"category_id", "author_name", "contact", "title", "slug", "body", "body_html", "kind",
	"visibility", "province", "district", "commune", "language", "status", "tracking_code", "consent_at",
	"votes", "created_at", "published_at", "answered_at", "updated_at", "views"} // views last: see withViews

var replyCols = []string{"question_id", "author_name", "body", "body_html", "official", "status", "consent_at", "created_at"}

// pendingReply is a reply kept until its question has an id.
type pendingReply struct {
	question int32 // index of the question in generation order
	official bool
	author   string
	body     string
	at       time.Time
}

// chunkRows is how many questions one generator makes; chunks are
// independent, so streams can share them out.
const chunkRows = 10_000

// questionSource feeds CopyFrom the questions of every streams-th chunk,
// starting at chunk first.
type questionSource struct {
	seed           uint64
	n              int
	first, streams int
	g              *textGen
	i, end         int // current row and the end of the current chunk
	chunk          int
	rare           int
	cats           []int64 // category id per topic
	withViews      bool    // forum_questions still has its views column
	now            time.Time
	row            []any
	replies        []pendingReply
	done           *atomic.Int64
	checkErr       error
}

func (s *questionSource) Next() bool {
	if s.checkErr != nil {
		return false
	}
	if s.g == nil || s.i >= s.end {
		if s.g == nil {
			s.chunk = s.first
		} else {
			s.chunk += s.streams
		}
		s.i, s.end = s.chunk*chunkRows, min((s.chunk+1)*chunkRows, s.n)
		if s.i >= s.n {
			return false
		}
		s.g = newTextGen(s.seed, uint64(s.chunk), s.n)
	}
	rare := -1
	if s.i%s.rare == s.rare/2 {
		rare = (s.i / s.rare) % len(rarePlaces)
	}
	q := s.g.question(s.i, rare, s.now)
	// The shortcut for body_html must match what the forum renders.
	if s.i%997 == 0 {
		if want := forum.RenderMarkdown(q.body); want != q.bodyHTML {
			s.checkErr = fmt.Errorf("generated body_html differs from forum.RenderMarkdown:\n got %q\nwant %q", q.bodyHTML, want)
			return false
		}
	}
	var consent *time.Time
	if q.consent {
		consent = &q.createdAt
	}
	updated := q.createdAt
	if q.answered != nil {
		updated = *q.answered
	} else if q.published != nil {
		updated = *q.published
	}
	s.row = []any{s.cats[q.topic], q.authorName, q.contact, q.title, vntext.Slug(q.title), q.body, q.bodyHTML, q.kind,
		q.visibility, q.province, q.district, q.commune, "vi", q.status, trackingCode(uint64(s.i)), consent,
		q.votes, q.createdAt, q.published, q.answered, updated}
	if s.withViews {
		s.row = append(s.row, q.views)
	}
	if q.answer != "" {
		s.replies = append(s.replies, pendingReply{question: int32(s.i), official: true, author: q.office, body: q.answer, at: *q.answered})
	}
	for k, r := range q.replies {
		at := q.published.Add(time.Duration(k+1) * 3 * time.Hour)
		s.replies = append(s.replies, pendingReply{question: int32(s.i), author: s.g.person(), body: r, at: at})
	}
	s.i++
	s.done.Add(1)
	return true
}

func (s *questionSource) Values() ([]any, error) { return s.row, nil }
func (s *questionSource) Err() error             { return s.checkErr }

type replySource struct {
	replies []pendingReply
	ids     []int64 // question id by generation index
	i       int
	row     []any
	done    *atomic.Int64
}

func (s *replySource) Next() bool {
	if s.i >= len(s.replies) {
		return false
	}
	r := s.replies[s.i]
	s.row = []any{s.ids[r.question], r.author, r.body, paragraphsHTML(strings.Split(r.body, "\n\n")), r.official, "published", &r.at, r.at}
	s.i++
	s.done.Add(1)
	return true
}

func (s *replySource) Values() ([]any, error) { return s.row, nil }
func (s *replySource) Err() error             { return nil }

// loadQuestions seeds the categories and COPYs n questions, in as many
// parallel streams as there are cores (PostgreSQL computes search_vec for
// every row, which is most of the cost), then their replies, printing
// progress, then VACUUM ANALYZEs.
func loadQuestions(ctx context.Context, url string, n int, seed uint64) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return forum.Seed(ctx, tx) }); err != nil {
		return fmt.Errorf("seed categories: %w", err)
	}
	cats := make([]int64, len(topics))
	for i, t := range topics {
		if err := conn.QueryRow(ctx, `SELECT id FROM forum_categories WHERE slug = $1`, t.category).Scan(&cats[i]); err != nil {
			return fmt.Errorf("category %s (forum.Seed changed?): %w", t.category, err)
		}
	}
	// View counts are loaded only while they are a column of the question.
	var withViews bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'forum_questions' AND column_name = 'views')`).Scan(&withViews); err != nil {
		return err
	}
	cols := questionCols
	if !withViews {
		cols = cols[:len(cols)-1]
	}
	streams := max(1, min(runtime.NumCPU(), 4, (n+chunkRows-1)/chunkRows))
	var done atomic.Int64
	now := time.Now().UTC()
	sources := make([]*questionSource, streams)
	stop := progress("questions", n, &done)
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for k := range sources {
		src := &questionSource{seed: seed, n: n, first: k, streams: streams, rare: rareEvery(n), cats: cats, withViews: withViews, now: now, done: &done}
		sources[k] = src
		g.Go(func() error {
			c, err := pgx.Connect(gctx, url)
			if err != nil {
				return err
			}
			defer c.Close(context.Background())
			_, err = c.CopyFrom(gctx, pgx.Identifier{"forum_questions"}, cols, src)
			return err
		})
	}
	err = g.Wait()
	stop()
	if err != nil {
		return fmt.Errorf("copy questions: %w", err)
	}
	logf("questions: %s rows in %s with %d COPY streams (%.0f rows/s)", thousands(done.Load()), time.Since(start).Round(time.Second),
		streams, float64(done.Load())/time.Since(start).Seconds())

	// Streams interleave ids; the tracking code says which row is which.
	ids := make([]int64, n)
	rows, err := conn.Query(ctx, `SELECT id, tracking_code FROM forum_questions`)
	if err != nil {
		return err
	}
	var id int64
	var code string
	found := 0
	_, err = pgx.ForEachRow(rows, []any{&id, &code}, func() error {
		i, ok := codeIndex(code)
		if !ok || i >= uint64(n) {
			return fmt.Errorf("question %d has tracking code %q, which the generator did not make", id, code)
		}
		ids[i] = id
		found++
		return nil
	})
	if err != nil {
		return err
	}
	if found != n {
		return fmt.Errorf("%d questions loaded, want %d", found, n)
	}
	var replies []pendingReply
	for _, src := range sources {
		replies = append(replies, src.replies...)
	}
	done.Store(0)
	stop = progress("replies", len(replies), &done)
	start = time.Now()
	copied, err := conn.CopyFrom(ctx, pgx.Identifier{"forum_replies"}, replyCols, &replySource{replies: replies, ids: ids, done: &done})
	stop()
	if err != nil {
		return fmt.Errorf("copy replies: %w", err)
	}
	logf("replies: %s rows in %s", thousands(copied), time.Since(start).Round(time.Second))

	start = time.Now()
	logf("VACUUM ANALYZE …")
	if _, err := conn.Exec(ctx, `VACUUM (ANALYZE) forum_questions, forum_question_views, forum_replies, forum_categories`); err != nil {
		return err
	}
	logf("VACUUM ANALYZE: %s", time.Since(start).Round(time.Second))
	_, err = conn.Exec(ctx, `CREATE TABLE bench_meta (questions int NOT NULL, seed bigint NOT NULL, version int NOT NULL);
		INSERT INTO bench_meta VALUES (`+fmt.Sprint(n)+`, `+fmt.Sprint(int64(seed))+`, `+fmt.Sprint(dataVersion)+`)`)
	return err
}

// progress prints a line every few seconds until the returned stop is called.
func progress(what string, total int, done *atomic.Int64) (stop func()) {
	start := time.Now()
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				d := done.Load()
				el := time.Since(start)
				rate := float64(d) / el.Seconds()
				eta := "?"
				if rate > 0 {
					eta = (time.Duration(float64(int64(total)-d)/rate) * time.Second).Round(time.Second).String()
				}
				logf("%s: %s / %s (%.0f%%), %.0f rows/s, %s left", what, thousands(d), thousands(int64(total)),
					100*float64(d)/float64(max(total, 1)), rate, eta)
			}
		}
	}()
	return func() { close(quit); <-finished }
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchforum: "+format+"\n", args...)
}

// thousands writes 1234567 as 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
