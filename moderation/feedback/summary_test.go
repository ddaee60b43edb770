package feedback_test

import (
	"context"
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/doithoai/doithoai/moderation"
	"github.com/doithoai/doithoai/moderation/feedback"
)

// TestSummaryAddsUp creates items on several channels, acts on them, and
// checks every figure of the summary against what was done.
func TestSummaryAddsUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	past := time.Now().Add(-time.Hour)
	q1 := f.mustEnqueue(t, f.svc, moderation.NewItem{Source: moderation.SourceForumQuestion, Title: "Cấp sổ đỏ đất rẫy", Category: "dat-dai", Province: "Lào Cai", Language: "vi"})
	q2 := f.mustEnqueue(t, f.svc, moderation.NewItem{Source: moderation.SourceForumQuestion, Title: "Chia đất", Category: "dat-dai", Province: "Hà Giang", Language: "hmn"})
	h1 := f.mustEnqueue(t, f.svc, moderation.NewItem{Source: moderation.SourceHotlineTicket, Category: "y-te", Province: "Lào Cai", Language: "tay"})
	c1 := f.mustEnqueue(t, f.svc, moderation.NewItem{Source: moderation.SourceChatConversation, DueAt: &past})
	r1 := f.mustEnqueue(t, f.svc, moderation.NewItem{Source: moderation.SourceReport, Category: "dat-dai", Province: "Lào Cai", Language: "vi"})
	old := f.mustEnqueue(t, f.svc, moderation.NewItem{Source: moderation.SourceForumQuestion, Category: "giao-duc", Province: "Sơn La"})
	f.backdate(t, q1.ID, 30*time.Minute)
	f.backdate(t, q2.ID, 90*time.Minute)
	f.backdate(t, h1.ID, 10*time.Minute)
	f.backdate(t, old.ID, 40*24*time.Hour)

	f.mustAct(t, f.mod, q1.ID, "claim", moderation.ActionInput{})
	f.mustAct(t, f.mod, q1.ID, "approve", moderation.ActionInput{})
	f.mustAct(t, f.mod, q1.ID, "answer", moderation.ActionInput{Body: "Liên hệ UBND xã."})
	f.mustAct(t, f.mod, q2.ID, "claim", moderation.ActionInput{})
	f.mustAct(t, f.mod, q2.ID, "answer", moderation.ActionInput{Body: "Theo quy hoạch của xã."})
	f.mustAct(t, f.mod, h1.ID, "claim", moderation.ActionInput{})
	f.mustAct(t, f.mod, h1.ID, "reject", moderation.ActionInput{Reason: "Không rõ nội dung"})
	f.mustAct(t, f.mod, r1.ID, "claim", moderation.ActionInput{})
	f.mustAct(t, f.mod, r1.ID, "escalate", moderation.ActionInput{Note: "cần lãnh đạo"})
	_ = c1

	now := time.Now()
	loc := f.svc.SLA.Location
	rng, err := feedback.ParseRange(url.Values{}, now, loc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.store.Summary(ctx, rng, now)
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 5 {
		t.Fatalf("total %d, want 5 (the 40-day-old item is outside the default range)", s.Total)
	}
	want := map[string]map[string]int{
		"channel":  {"forum_question": 2, "hotline_ticket": 1, "chat_conversation": 1, "report": 1},
		"status":   {"answered": 2, "rejected": 1, "pending": 2},
		"category": {"dat-dai": 3, "y-te": 1, feedback.Unspecified: 1},
		"province": {"Lào Cai": 3, "Hà Giang": 1, feedback.Unspecified: 1},
		"language": {"vi": 2, "hmn": 1, "tay": 1, feedback.Unspecified: 1},
	}
	got := map[string][]feedback.Count{"channel": s.ByChannel, "status": s.ByStatus, "category": s.ByCategory, "province": s.ByProvince, "language": s.ByLanguage}
	for dim, counts := range got {
		sum := 0
		for _, c := range counts {
			sum += c.Count
			if want[dim][c.Key] != c.Count {
				t.Errorf("%s %q: %d, want %d", dim, c.Key, c.Count, want[dim][c.Key])
			}
		}
		if sum != s.Total || len(counts) != len(want[dim]) {
			t.Errorf("%s: %d keys adding up to %d; want %d keys adding up to %d", dim, len(counts), sum, len(want[dim]), s.Total)
		}
		for i := 1; i < len(counts); i++ {
			if counts[i].Count > counts[i-1].Count {
				t.Errorf("%s not sorted largest first: %v", dim, counts)
			}
		}
	}
	// First responses after 30, 90 and 10 minutes (approve, answer, reject);
	// answers after 30 and 90.
	near := func(name string, got *float64, want float64) {
		if got == nil || math.Abs(*got-want) > 0.5 {
			t.Errorf("%s = %v, want %.0f", name, got, want)
		}
	}
	near("median to first response", s.MedianFirstResponseMinutes, 30)
	near("median to answer", s.MedianAnswerMinutes, 60)
	if s.Responded != 3 || s.Answered != 2 || s.Overdue != 1 || s.Escalated != 1 {
		t.Errorf("responded %d answered %d overdue %d escalated %d; want 3 2 1 1", s.Responded, s.Answered, s.Overdue, s.Escalated)
	}

	t.Run("TrendAddsUp", func(t *testing.T) {
		points, err := f.store.Trend(ctx, rng, feedback.Day)
		if err != nil {
			t.Fatal(err)
		}
		if len(points) != feedback.DefaultDays {
			t.Fatalf("%d days, want %d", len(points), feedback.DefaultDays)
		}
		total, answered, forum := 0, 0, 0
		for _, p := range points {
			total += p.Total
			answered += p.Answered
			forum += p.ByChannel["forum_question"]
		}
		if total != 5 || answered != 2 || forum != 2 {
			t.Fatalf("trend total %d answered %d forum %d; want 5 2 2", total, answered, forum)
		}
	})
	t.Run("WiderRangeTakesTheOldItem", func(t *testing.T) {
		from := now.AddDate(0, 0, -45).In(loc).Format("2006-01-02")
		rng, err := feedback.ParseRange(url.Values{"from": {from}, "to": {now.In(loc).Format("2006-01-02")}}, now, loc)
		if err != nil {
			t.Fatal(err)
		}
		s, err := f.store.Summary(ctx, rng, now)
		if err != nil || s.Total != 6 {
			t.Fatalf("total %d (%v), want 6", s.Total, err)
		}
		rows := 0
		if err := f.store.Export(ctx, rng, func(feedback.ExportRow) error { rows++; return nil }); err != nil || rows != 6 {
			t.Fatalf("export %d rows (%v), want 6", rows, err)
		}
	})
	t.Run("EmptyRange", func(t *testing.T) {
		s, err := f.store.Summary(ctx, feedback.Range{From: now.AddDate(-1, 0, 0), To: now.AddDate(-1, 0, 1)}, now)
		if err != nil || s.Total != 0 || s.MedianAnswerMinutes != nil || len(s.ByChannel) != 0 {
			t.Fatalf("%+v %v", s, err)
		}
	})
}

func TestParseRange(t *testing.T) {
	t.Parallel()
	loc := moderation.DefaultSLA().Location
	now := time.Date(2026, 5, 20, 23, 30, 0, 0, loc)
	r, err := feedback.ParseRange(url.Values{"from": {"2026-05-01"}, "to": {"2026-05-31"}}, now, loc)
	if err != nil || !r.From.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, loc)) || !r.To.Equal(time.Date(2026, 6, 1, 0, 0, 0, 0, loc)) {
		t.Fatalf("%v %v", r, err)
	}
	r, err = feedback.ParseRange(url.Values{}, now, loc)
	if err != nil || !r.To.Equal(time.Date(2026, 5, 21, 0, 0, 0, 0, loc)) || r.To.Sub(r.From) != 30*24*time.Hour {
		t.Fatalf("default %v %v", r, err)
	}
	for _, bad := range []url.Values{{"from": {"31/05/2026"}}, {"from": {"2026-05-31"}, "to": {"2026-05-01"}}, {"from": {"2000-01-01"}, "to": {"2026-01-01"}}} {
		if _, err := feedback.ParseRange(bad, now, loc); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
