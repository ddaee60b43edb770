package callcenter

import (
	"testing"
	"time"
)

func TestHours(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("ICT", 7*3600)
	h, err := ParseHours(DefaultHours+"; Sat 08:00-11:00", DefaultHolidays+",2026-02-17", loc)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		when string
		open bool
		next string
	}{
		{"2026-03-02 09:00", true, "2026-03-03 07:30"},  // Monday morning
		{"2026-03-02 12:00", false, "2026-03-03 07:30"}, // lunch break
		{"2026-03-02 06:00", false, "2026-03-02 07:30"}, // before opening: today
		{"2026-03-06 17:30", false, "2026-03-07 08:00"}, // Friday evening → Saturday
		{"2026-03-07 12:00", false, "2026-03-09 07:30"}, // Saturday afternoon → Monday
		{"2026-02-17 09:00", false, "2026-02-18 07:30"}, // Tết (dated holiday)
		{"2026-09-01 23:00", false, "2026-09-03 07:30"}, // 09-02 recurring holiday
	} {
		if got := h.Open(at(tc.when)); got != tc.open {
			t.Errorf("%s open = %v", tc.when, got)
		}
		if got := h.NextOpening(at(tc.when)); !got.Equal(at(tc.next)) {
			t.Errorf("%s next opening = %v, want %s", tc.when, got, tc.next)
		}
	}
}

func TestParseHoursErrors(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"Mon-Fri", "Xyz 08:00-09:00", "Mon 09:00-08:00", "Mon 8-9"} {
		if _, err := ParseHours(spec, "", time.UTC); err == nil {
			t.Errorf("%q accepted", spec)
		}
	}
	if _, err := ParseHours("always", "2026-13-01", time.UTC); err == nil {
		t.Error("bad holiday accepted")
	}
	h, err := ParseHours("always", "", time.UTC)
	if err != nil || !h.Open(time.Now()) {
		t.Errorf("always: %v %v", err, h.Open(time.Now()))
	}
}
