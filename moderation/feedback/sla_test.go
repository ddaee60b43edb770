package feedback_test

import (
	"testing"
	"time"

	"github.com/doithoai/doithoai/moderation"
	"github.com/doithoai/doithoai/moderation/feedback"
)

func vn(t *testing.T, s string) time.Time {
	t.Helper()
	loc := moderation.DefaultSLA().Location
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustSLA(t *testing.T, c feedback.Config) moderation.SLA {
	t.Helper()
	s, err := c.SLA(moderation.DefaultSLA())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// 2026-03-02 is a Monday.
func TestSLADue(t *testing.T) {
	t.Parallel()
	def := mustSLA(t, feedback.DefaultConfig())
	cfg := feedback.DefaultConfig()
	cfg.SLARules += ", *@2=4h, hotline_ticket@3=30m"
	cfg.Holidays += ", 2026-03-09"
	cfg.Workdays = "2026-03-14"
	custom := mustSLA(t, cfg)
	for _, tc := range []struct {
		name     string
		sla      moderation.SLA
		src      moderation.Source
		priority int
		at, want string
	}{
		{"ThreeWorkingDaysKeepTimeOfDay", def, moderation.SourceForumQuestion, 0, "2026-03-02 10:00", "2026-03-05 10:00"},
		{"HotlineSameAsForum", def, moderation.SourceHotlineTicket, 0, "2026-03-02 10:00", "2026-03-05 10:00"},
		{"OverTheWeekend", def, moderation.SourceForumQuestion, 0, "2026-03-05 16:00", "2026-03-10 16:00"},
		{"ArrivedSaturdayCountsFromMonday", def, moderation.SourceForumQuestion, 0, "2026-03-07 20:00", "2026-03-11 17:00"},
		{"ArrivedAtLunchCountsFromAfternoon", def, moderation.SourceForumQuestion, 0, "2026-03-02 12:00", "2026-03-05 11:30"},
		{"ArrivedAtNightCountsFromMorning", def, moderation.SourceForumQuestion, 0, "2026-03-02 22:00", "2026-03-05 17:00"},
		{"ReportOneDay", def, moderation.SourceReport, 0, "2026-03-02 10:00", "2026-03-03 10:00"},
		{"TetHolidaySkipped", def, moderation.SourceForumQuestion, 0, "2026-02-12 10:00", "2026-02-24 10:00"},
		{"ConfiguredHolidaySkipped", custom, moderation.SourceForumQuestion, 0, "2026-03-05 10:00", "2026-03-11 10:00"},
		{"MakeUpSaturdayWorks", custom, moderation.SourceReport, 0, "2026-03-13 10:00", "2026-03-14 10:00"},
		{"UrgentSkipsLunch", custom, moderation.SourceForumQuestion, 2, "2026-03-02 10:00", "2026-03-02 15:30"},
		{"UrgentAcrossTheNight", custom, moderation.SourceForumQuestion, 5, "2026-03-02 16:00", "2026-03-03 10:30"},
		{"SourceRuleAtItsPriority", custom, moderation.SourceHotlineTicket, 3, "2026-03-02 11:15", "2026-03-02 13:15"},
		{"PriorityBeatsSlowerSourceRule", custom, moderation.SourceHotlineTicket, 2, "2026-03-02 10:00", "2026-03-02 15:30"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.sla.DueAt(tc.src, tc.priority, vn(t, tc.at))
			if want := vn(t, tc.want); !got.Equal(want) {
				t.Fatalf("due %s, want %s", got.Format("Mon 2006-01-02 15:04"), want.Format("Mon 2006-01-02 15:04"))
			}
		})
	}
	// Due (the queue's call) is priority 0.
	if got, want := def.Due(moderation.SourceForumQuestion, vn(t, "2026-03-02 10:00")), vn(t, "2026-03-05 10:00"); !got.Equal(want) {
		t.Fatalf("Due %s, want %s", got, want)
	}
	if got := def.NextWorkingStart(vn(t, "2026-03-06 18:00")); !got.Equal(vn(t, "2026-03-09 07:30")) {
		t.Fatalf("next working start after Friday evening: %s", got)
	}
}

func TestSLAConfigErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []feedback.Config{
		{SLARules: "forum_question=3x", EscalateEvery: time.Minute},
		{SLARules: "nowhere=3d", EscalateEvery: time.Minute},
		{SLARules: "report@high=1d", EscalateEvery: time.Minute},
		{Holidays: "2026-13-01", EscalateEvery: time.Minute},
		{Holidays: "2026-02-22..2026-02-14", EscalateEvery: time.Minute},
		{OfficeHours: "17:00-08:00", EscalateEvery: time.Minute},
		{OfficeHours: "08:00-12:00,11:00-17:00", EscalateEvery: time.Minute},
		{},
	} {
		if _, err := c.SLA(moderation.DefaultSLA()); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
