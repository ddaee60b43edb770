package feedback_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/migrations"
	"github.com/doithoai/doithoai/moderation"
	"github.com/doithoai/doithoai/moderation/feedback"
)

// TestRollupMatchesItems changes a varied queue in every way the triggers
// must follow (new items over many days, status changes, first responses
// and answers, creation times moved, several rows in one statement, a
// deletion, concurrent writers) and checks after each step, before and
// after compaction, that the rollup's summary and trend equal the direct
// computation over moderation_items for ranges of whole days, of partial
// days and of no whole day.
func TestRollupMatchesItems(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	loc := f.svc.SLA.Location
	now := time.Now()
	rnd := rand.New(rand.NewPCG(51, 51))

	sources := []string{"forum_question", "forum_reply", "report", "chat_conversation", "live_question", "hotline_ticket"}
	cats := []string{"dat-dai", "y-te", "giao-duc", ""}
	provs := []string{"Lào Cai", "Hà Giang", "Sơn La", ""}
	langs := []string{"vi", "hmn", "tay", ""}
	pick := func(xs []string) string { return xs[rnd.IntN(len(xs))] }
	// 120 items over the last 50 days, created at any second of the day;
	// minute offsets from a small set, so that medians tie and are even.
	for i := range 120 {
		created := now.Add(-time.Duration(rnd.Int64N(int64(50 * 24 * time.Hour))))
		due := created.Add(time.Duration(rnd.IntN(96)) * time.Hour)
		if _, err := f.pool.Exec(ctx, `
			INSERT INTO moderation_items (source, ref, content, category, province, language, created_at, due_at)
			VALUES ($1, $2, 'nội dung', $3, $4, $5, $6, $7)`,
			pick(sources), fmt.Sprintf("rollup-%d", i), pick(cats), pick(provs), pick(langs), created, due); err != nil {
			t.Fatal(err)
		}
	}
	// Some through the service, acted on as moderators do.
	var viaService []int64
	for range 8 {
		it := f.mustEnqueue(t, f.svc, moderation.NewItem{Source: moderation.SourceHotlineTicket, Category: pick(cats), Province: pick(provs), Language: pick(langs)})
		viaService = append(viaService, it.ID)
	}

	ranges := func() map[string]feedback.Range {
		today := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc)
		return map[string]feedback.Range{
			"last 30 days":             {From: today.AddDate(0, 0, -29), To: today.AddDate(0, 0, 1)},
			"last 60 days":             {From: today.AddDate(0, 0, -59), To: today.AddDate(0, 0, 1)},
			"one day":                  {From: today.AddDate(0, 0, -3), To: today.AddDate(0, 0, -2)},
			"partial days at both end": {From: now.Add(-17*24*time.Hour - 5*time.Hour - 17*time.Minute), To: now.Add(-2*24*time.Hour - 3*time.Hour)},
			"partial day, then whole":  {From: now.Add(-9*24*time.Hour - 90*time.Minute), To: today.AddDate(0, 0, 1)},
			"no whole day":             {From: now.Add(-30 * time.Hour), To: now.Add(-20 * time.Hour)},
			"a few hours":              {From: now.Add(-5 * time.Hour), To: now.Add(time.Hour)},
			"UTC days":                 {From: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), To: now.UTC().Truncate(24 * time.Hour)},
			"a year ago":               {From: today.AddDate(-1, 0, 0), To: today.AddDate(-1, 0, 7)},
		}
	}()
	check := func(t *testing.T, step string) {
		t.Helper()
		for name, rng := range ranges {
			got, err := f.store.Summary(ctx, rng, now)
			if err != nil {
				t.Fatalf("%s, %s: %v", step, name, err)
			}
			want, err := f.store.SummaryScan(ctx, rng, now)
			if err != nil {
				t.Fatalf("%s, %s: %v", step, name, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, %s: the rollup's summary\n%s\nthe items'\n%s", step, name, describe(got), describe(want))
			}
			for _, b := range []feedback.Bucket{feedback.Day, feedback.Week, feedback.Month} {
				got, err := f.store.Trend(ctx, rng, b)
				if err != nil {
					t.Fatal(err)
				}
				want, err := f.store.TrendScan(ctx, rng, b)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s, %s by %s: the rollup's trend %v, the items' %v", step, name, b, got, want)
				}
			}
		}
	}
	compact := func(t *testing.T) {
		t.Helper()
		if _, err := f.store.Compact(ctx); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT (SELECT count(*) FROM feedback_count_deltas) + (SELECT count(*) FROM feedback_response_deltas)`); n != 0 {
			t.Fatalf("%d deltas left after compaction", n)
		}
		if n := f.count(t, `SELECT (SELECT count(*) FROM feedback_daily_counts WHERE n <= 0) + (SELECT count(*) FROM feedback_daily_response WHERE n <= 0)
			+ (SELECT count(*) FROM feedback_daily_response_coarse WHERE n <= 0)`); n != 0 {
			t.Fatalf("%d empty or negative keys left after compaction", n)
		}
	}
	// respond gives a random half of the open items a first response, and a
	// random half of those an answer, minutes (and seconds) after creation.
	respond := func(t *testing.T) {
		t.Helper()
		if _, err := f.pool.Exec(ctx, `
			UPDATE moderation_items SET status = 'approved',
			       first_response_at = created_at + (((id * 7) % 5) * 45 + 3) * interval '1 minute' + (id % 50) * interval '1 second'
			WHERE status = 'pending' AND ref LIKE 'rollup-%' AND id % 2 = $1`, rnd.IntN(2)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.pool.Exec(ctx, `
			UPDATE moderation_items SET status = 'answered', answer = 'trả lời',
			       answered_at = first_response_at + ((id % 4) * 120 + 30) * interval '1 minute' + (id % 59) * interval '1 second'
			WHERE status = 'approved' AND ref LIKE 'rollup-%' AND answered_at IS NULL AND id % 3 <> $1`, rnd.IntN(3)); err != nil {
			t.Fatal(err)
		}
	}

	check(t, "new items, nothing compacted")
	compact(t)
	check(t, "compacted")

	respond(t)
	for i, id := range viaService {
		f.backdate(t, id, time.Duration(i)*37*time.Hour+time.Duration(i)*11*time.Minute)
		switch i % 4 {
		case 0:
			f.mustAct(t, f.mod, id, "claim", moderation.ActionInput{})
			f.mustAct(t, f.mod, id, "answer", moderation.ActionInput{Body: "Đã trả lời."})
		case 1:
			f.mustAct(t, f.mod, id, "claim", moderation.ActionInput{})
			f.mustAct(t, f.mod, id, "reject", moderation.ActionInput{Reason: "trùng"})
		case 2:
			f.mustAct(t, f.mod, id, "claim", moderation.ActionInput{})
			f.mustAct(t, f.mod, id, "escalate", moderation.ActionInput{Note: "cần lãnh đạo"})
		}
	}
	check(t, "responses, answers and actions on compacted items")
	if s, err := f.store.Summary(ctx, ranges["last 60 days"], now); err != nil || s.Total != 128 || s.Responded < 40 || s.Answered < 20 ||
		s.MedianFirstResponseMinutes == nil || s.MedianAnswerMinutes == nil || s.Overdue == 0 || s.Escalated == 0 {
		t.Fatalf("the test's queue is not varied enough: %s (%v)", describe(s), err)
	}
	compact(t)
	check(t, "compacted again")

	// Statuses move again, several rows per statement; categories and
	// creation times change; escalation; an item goes away.
	for _, sql := range []string{
		`UPDATE moderation_items SET status = 'closed', closed_at = now() WHERE status = 'answered' AND id % 5 = 0`,
		`UPDATE moderation_items SET status = 'info_requested' WHERE status = 'approved' AND id % 2 = 0`,
		`UPDATE moderation_items SET category = 'moi-truong', province = '' WHERE id % 7 = 3`,
		`UPDATE moderation_items SET created_at = created_at - interval '26 hours 13 minutes' WHERE id % 6 = 1`,
		`UPDATE moderation_items SET escalated = true, escalated_at = now() WHERE status IN ('pending', 'info_requested') AND id % 3 = 0`,
		`UPDATE moderation_items SET answered_at = answered_at + interval '61 seconds' WHERE id % 4 = 2 AND answered_at IS NOT NULL`,
		`UPDATE moderation_items SET assignee_id = NULL, lease_expires_at = NULL`,
		`DELETE FROM moderation_items WHERE ref = 'rollup-7'`,
	} {
		if _, err := f.pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	check(t, "changes on top of compacted figures")

	// Writers and compactors at once: every delta is folded in once.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 3 {
		wg.Go(func() {
			for i := range 15 {
				_, err := f.pool.Exec(ctx, `
					INSERT INTO moderation_items (source, ref, content, category, created_at, due_at, status, first_response_at)
					VALUES ('report', $1, 'x', 'y-te', now() - $2 * interval '1 hour', now(), 'approved', now())`,
					fmt.Sprintf("concurrent-%d-%d", w, i), i*7)
				if err == nil {
					_, err = f.pool.Exec(ctx, `UPDATE moderation_items SET status = 'answered', answered_at = now() WHERE ref = $1`,
						fmt.Sprintf("concurrent-%d-%d", w, (i+3)%15))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 10 {
				if _, err := f.store.Compact(ctx); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	check(t, "concurrent writers and compactors")
	compact(t)
	check(t, "compacted at last")

	if _, err := f.pool.Exec(ctx, `TRUNCATE moderation_items CASCADE`); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT (SELECT count(*) FROM feedback_daily_counts) + (SELECT count(*) FROM feedback_response_deltas)`); n != 0 {
		t.Fatalf("%d rollup rows left after TRUNCATE", n)
	}
	check(t, "truncated")
}

func describe(s feedback.Summary) string {
	med := func(p *float64) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("total %d responded %d answered %d overdue %d escalated %d medians %s %s\n channel %v\n status %v\n category %v\n province %v\n language %v",
		s.Total, s.Responded, s.Answered, s.Overdue, s.Escalated, med(s.MedianFirstResponseMinutes), med(s.MedianAnswerMinutes),
		s.ByChannel, s.ByStatus, s.ByCategory, s.ByProvince, s.ByLanguage)
}

// TestRollupBackfill: items that were there before the rollup's migration
// are counted by its backfill.
func TestRollupBackfill(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for i := range 30 {
		if _, err := f.pool.Exec(ctx, `
			INSERT INTO moderation_items (source, ref, content, province, status, created_at, first_response_at, answered_at, due_at)
			VALUES ('forum_question', $1, 'x', $2, 'answered', now() - $3 * interval '5 hours',
			        now() - $3 * interval '5 hours' + $3 * interval '3 minutes', now() - $3 * interval '4 hours', now())`,
			fmt.Sprintf("old-%d", i), []string{"Lào Cai", "Sơn La", ""}[i%3], i); err != nil {
			t.Fatal(err)
		}
	}
	// As if the migration ran now: empty the rollup and run its backfill.
	for _, sql := range []string{
		`TRUNCATE feedback_daily_counts, feedback_daily_response, feedback_daily_response_coarse, feedback_count_deltas, feedback_response_deltas`,
		backfillSQL(t),
	} {
		if _, err := f.pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	rng := feedback.Range{From: now.AddDate(0, 0, -10), To: now.Add(time.Hour)}
	got, err := f.store.Summary(ctx, rng, now)
	if err != nil {
		t.Fatal(err)
	}
	want, err := f.store.SummaryScan(ctx, rng, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.Total != 30 || !reflect.DeepEqual(got, want) {
		t.Fatalf("after the backfill\n%s\nthe items'\n%s", describe(got), describe(want))
	}
}

// backfillSQL is the backfill of migration 00051, read from the file.
func backfillSQL(t *testing.T) string {
	t.Helper()
	b, err := migrations.FS.ReadFile("00051_feedback_rollup.sql")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok1 := strings.Cut(string(b), "-- Backfill: the items already there, straight into the compacted tables.\n")
	sql, _, ok2 := strings.Cut(rest, "\n-- \"Overdue\"")
	if !ok1 || !ok2 {
		t.Fatal("no backfill found in migration 00051")
	}
	return sql
}

// TestEscalatorCompacts: the escalation job given the handlers' store
// compacts its rollup on every round.
func TestEscalatorCompacts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	job := feedback.NewEscalator(f.svc, f.store, testenv.Logger(t), 20*time.Millisecond, nil)
	f.mustEnqueue(t, f.svc, moderation.NewItem{Source: moderation.SourceForumQuestion})
	if n := f.count(t, `SELECT count(*) FROM feedback_count_deltas`); n == 0 {
		t.Fatal("no deltas for a new item")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { job.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for f.count(t, `SELECT count(*) FROM feedback_count_deltas`) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the deltas were not compacted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := f.count(t, `SELECT sum(n)::int FROM feedback_daily_counts WHERE dim = 'channel'`); n != 1 {
		t.Fatalf("%d items counted, want 1", n)
	}
}
