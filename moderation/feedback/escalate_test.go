package feedback_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
	"github.com/doithoai/doithoai/moderation/feedback"
	"github.com/jackc/pgx/v5"
)

// shortSLA is the test's configuration: two working hours for every item,
// office hours all day, so due times are easy to reason about.
func shortSLA(t *testing.T) moderation.SLA {
	t.Helper()
	c := feedback.DefaultConfig()
	c.SLARules, c.OfficeHours = "*=2h", "00:00-24:00"
	return mustSLA(t, c)
}

// clock is a settable time for a service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

// listen collects the queue's NOTIFY payloads on a connection of its own.
// The returned func sends a marker notification and waits for it: PostgreSQL
// delivers notifications in commit order, so every one committed before the
// call has arrived by then.
func listen(t *testing.T, url string) func() []moderation.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "LISTEN moderation_items"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []moderation.Event
	arrived := make(chan string, 16) // marker payloads
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				return
			}
			var ev moderation.Event
			_ = json.Unmarshal([]byte(n.Payload), &ev)
			if ev.Event == "test-marker" {
				arrived <- n.Payload
				continue
			}
			mu.Lock()
			got = append(got, ev)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-done; conn.Close(context.Background()) })
	markers := 0
	return func() []moderation.Event {
		t.Helper()
		markers++
		marker := fmt.Sprintf(`{"event":"test-marker","id":%d}`, markers)
		other, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close(context.Background())
		if _, err := other.Exec(context.Background(), `SELECT pg_notify('moderation_items', $1)`, marker); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(10 * time.Second)
		for waiting := true; waiting; {
			select {
			case p := <-arrived:
				waiting = p != marker
			case <-deadline:
				t.Fatal("the marker notification never arrived")
			}
		}
		mu.Lock()
		defer mu.Unlock()
		return append([]moderation.Event(nil), got...)
	}
}

func escalatedEvents(evs []moderation.Event) map[int64]int {
	m := map[int64]int{}
	for _, e := range evs {
		if e.Event == "escalated" {
			m[e.ID]++
		}
	}
	return m
}

// TestEscalateAfterDue: nothing before the due time; after it, every
// overdue item once, with a system audit entry and a NOTIFY; answered
// items never.
func TestEscalateAfterDue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	clk := &clock{t: vn(t, "2026-03-04 10:00")}
	f.svc.SLA = shortSLA(t)
	f.svc.SetClock(clk.now)
	events := listen(t, f.url)

	a := f.mustEnqueue(t, f.svc, moderation.NewItem{Source: moderation.SourceHotlineTicket})
	b := f.mustEnqueue(t, f.svc, moderation.NewItem{Source: moderation.SourceForumQuestion})
	done := f.mustEnqueue(t, f.svc, moderation.NewItem{Source: moderation.SourceForumQuestion})
	if want := vn(t, "2026-03-04 12:00"); !a.DueAt.Equal(want) {
		t.Fatalf("due %s, want %s", a.DueAt, want)
	}
	f.mustAct(t, f.mod, done.ID, "claim", moderation.ActionInput{})
	f.mustAct(t, f.mod, done.ID, "answer", moderation.ActionInput{Body: "Đã trả lời."})

	job := feedback.NewEscalator(f.svc, nil, testenv.Logger(t), time.Minute, nil)
	clk.set(vn(t, "2026-03-04 11:59"))
	if items, _, err := job.RunOnce(ctx); err != nil || items != 0 {
		t.Fatalf("before the due time: %d escalated (%v)", items, err)
	}
	clk.set(vn(t, "2026-03-04 12:01"))
	if items, _, err := job.RunOnce(ctx); err != nil || items != 2 {
		t.Fatalf("after the due time: %d escalated (%v), want 2", items, err)
	}
	if items, _, err := job.RunOnce(ctx); err != nil || items != 0 {
		t.Fatalf("second run: %d escalated again (%v)", items, err)
	}
	for _, id := range []int64{a.ID, b.ID} {
		it, err := f.svc.Store.FindItemByID(ctx, id)
		if err != nil || !it.Escalated {
			t.Fatalf("item %d escalated=%v (%v)", id, it.Escalated, err)
		}
		hist, err := f.svc.Store.FindHistory(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		last := hist[len(hist)-1]
		if last.Action != "escalate" || last.Actor != "system" || last.Note != "overdue" {
			t.Fatalf("item %d last audit entry %+v, want a system escalation", id, last)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM moderation_audit WHERE action = 'escalate' AND actor_id IS NULL`); n != 2 {
		t.Fatalf("%d system escalations in the audit log, want 2", n)
	}
	if it, err := f.svc.Store.FindItemByID(ctx, done.ID); err != nil || it.Escalated {
		t.Fatalf("an answered item was escalated (%v)", err)
	}
	ev := escalatedEvents(events())
	if len(ev) != 2 || ev[a.ID] != 1 || ev[b.ID] != 1 {
		t.Fatalf("escalation notifications %v, want one each for %d and %d", ev, a.ID, b.ID)
	}
}

// TestEscalateOnTwoNodes runs two nodes' jobs at once over many overdue
// items: each item is escalated and audited exactly once.
func TestEscalateOnTwoNodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	clk := &clock{t: vn(t, "2026-03-04 10:00")}
	f.svc.SLA = shortSLA(t)
	f.svc.SetClock(clk.now)
	const n = 450
	for i := 0; i < n; i++ {
		f.mustEnqueue(t, f.svc, moderation.NewItem{Source: moderation.SourceForumQuestion})
	}
	clk.add(3 * time.Hour)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	errs := make([]error, 2)
	for node := 0; node < 2; node++ {
		svc := moderation.NewService(mustPool(t, f.url), time.Minute, testenv.Logger(t))
		svc.SetClock(clk.now)
		job := feedback.NewEscalator(svc, nil, testenv.Logger(t), time.Minute, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[node], _, errs[node] = job.RunOnce(ctx)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if counts[0]+counts[1] != n {
		t.Fatalf("nodes escalated %d + %d, want %d in all", counts[0], counts[1], n)
	}
	if got := f.count(t, `SELECT count(*) FROM moderation_audit WHERE action = 'escalate'`); got != n {
		t.Fatalf("%d escalation audit entries, want %d", got, n)
	}
	if got := f.count(t, `SELECT count(DISTINCT item_id) FROM moderation_audit WHERE action = 'escalate'`); got != n {
		t.Fatalf("%d items audited, want %d", got, n)
	}
	t.Logf("node 1 escalated %d, node 2 %d", counts[0], counts[1])
}

// TestDirectiveTracking: a leader's directive with a deadline is escalated
// once when the deadline passes; a moderator marks it done; the leader
// signs the item off, which takes it out of the inbox until the next
// escalation.
func TestDirectiveTracking(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	clk := &clock{t: vn(t, "2026-03-04 10:00")}
	f.svc.SetClock(clk.now)
	it := f.mustEnqueue(t, f.svc, moderation.NewItem{Source: moderation.SourceHotlineTicket, Title: "Đường vào bản bị sạt lở"})
	f.mustAct(t, f.mod, it.ID, "claim", moderation.ActionInput{})
	f.mustAct(t, f.mod, it.ID, "escalate", moderation.ActionInput{Note: "Cần chỉ đạo"})

	deadline := vn(t, "2026-03-05 17:00")
	if _, err := f.svc.Act(ctx, f.mod, it.ID, "directive", moderation.ActionInput{Note: "x"}); apperr.KindOf(err) != apperr.Forbidden {
		t.Fatalf("a moderator gave a directive: %v", err)
	}
	f.mustAct(t, f.leader, it.ID, "directive", moderation.ActionInput{Note: "Sở GTVT kiểm tra, báo cáo trước 17h ngày 5/3", Deadline: &deadline})
	list, err := f.store.FindDirectives(ctx, feedback.DirectiveFilter{Status: "open"}, clk.now())
	if err != nil || len(list) != 1 || list[0].Leader != "lanhdao" || list[0].ItemTitle != "Đường vào bản bị sạt lở" || list[0].Overdue {
		t.Fatalf("open directives %+v (%v)", list, err)
	}
	d := list[0]

	t.Run("SignOff", func(t *testing.T) {
		if _, err := f.svc.SignOff(ctx, f.mod, it.ID, ""); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("moderator sign-off: %v", err)
		}
		if _, err := f.svc.SignOff(ctx, f.admin, it.ID, ""); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("admin sign-off: %v", err)
		}
		waiting, _ := f.store.FindEscalated(ctx, true, clk.now(), 10)
		if len(waiting) != 1 || waiting[0].ID != it.ID || waiting[0].OpenDirectives != 1 {
			t.Fatalf("inbox before sign-off %+v", waiting)
		}
		if _, err := f.svc.SignOff(ctx, f.leader, it.ID, "Đồng ý hướng xử lý"); err != nil {
			t.Fatal(err)
		}
		waiting, err := f.store.FindEscalated(ctx, true, clk.now(), 10)
		signed, err2 := f.store.FindEscalated(ctx, false, clk.now(), 10)
		if err != nil || err2 != nil || len(waiting) != 0 || len(signed) != 1 || signed[0].SignedOffBy != "lanhdao" {
			t.Fatalf("after sign-off: waiting %+v, signed %+v (%v, %v)", waiting, signed, err, err2)
		}
		if n := f.count(t, `SELECT count(*) FROM moderation_audit WHERE item_id = $1 AND action = 'sign_off' AND actor_id = $2 AND note = 'Đồng ý hướng xử lý'`, it.ID, f.leader.ID); n != 1 {
			t.Fatalf("%d sign_off audit entries", n)
		}
	})

	job := feedback.NewEscalator(f.svc, nil, testenv.Logger(t), time.Minute, nil)
	clk.set(deadline.Add(-time.Minute))
	if _, ds, err := job.RunOnce(ctx); err != nil || ds != 0 {
		t.Fatalf("before the deadline: %d (%v)", ds, err)
	}
	clk.set(deadline.Add(time.Minute))
	if _, ds, err := job.RunOnce(ctx); err != nil || ds != 1 {
		t.Fatalf("after the deadline: %d directives escalated (%v), want 1", ds, err)
	}
	if _, ds, err := job.RunOnce(ctx); err != nil || ds != 0 {
		t.Fatalf("the same directive escalated again (%d, %v)", ds, err)
	}
	if n := f.count(t, `SELECT count(*) FROM moderation_audit WHERE item_id = $1 AND action = 'directive_overdue' AND actor_id IS NULL`, it.ID); n != 1 {
		t.Fatalf("%d directive_overdue audit entries, want 1", n)
	}
	// The passed deadline put the signed-off item back in the inbox.
	if waiting, _ := f.store.FindEscalated(ctx, true, clk.now(), 10); len(waiting) != 1 {
		t.Fatalf("inbox after the deadline passed: %+v", waiting)
	}
	if over, _ := f.store.FindDirectives(ctx, feedback.DirectiveFilter{Status: "overdue"}, clk.now()); len(over) != 1 || !over[0].Overdue {
		t.Fatalf("overdue directives %+v", over)
	}

	if _, err := f.svc.CompleteDirective(ctx, f.citizen, d.ID, ""); apperr.KindOf(err) != apperr.Forbidden {
		t.Fatalf("citizen completed a directive: %v", err)
	}
	if _, err := f.svc.CompleteDirective(ctx, f.mod, 999999, ""); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("unknown directive: %v", err)
	}
	out, err := f.svc.CompleteDirective(ctx, f.mod, d.ID, "Đã kiểm tra, đang khắc phục")
	if err != nil || out.Status != "done" {
		t.Fatalf("complete: %+v %v", out, err)
	}
	if _, err := f.svc.CompleteDirective(ctx, f.mod, d.ID, ""); apperr.KindOf(err) != apperr.Conflict {
		t.Fatalf("completed twice: %v", err)
	}
	doneList, _ := f.store.FindDirectives(ctx, feedback.DirectiveFilter{Status: "done"}, clk.now())
	if len(doneList) != 1 || doneList[0].DoneBy != "modvien" || doneList[0].DoneNote != "Đã kiểm tra, đang khắc phục" || doneList[0].Overdue {
		t.Fatalf("done directives %+v", doneList)
	}
	if n := f.count(t, `SELECT count(*) FROM moderation_audit WHERE item_id = $1 AND action = 'directive_done' AND actor_id = $2`, it.ID, f.mod.ID); n != 1 {
		t.Fatalf("%d directive_done audit entries", n)
	}
}
