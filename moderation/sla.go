package moderation

import "time"

// SLA says when an item is due. The default is 3 working days for every
// source; live-session questions are due within the day of the session.
type SLA struct {
	// WorkingDays by source; missing sources use Default.
	WorkingDays map[Source]int
	Default     int
	// Holidays are dates (in Location) that are not working days.
	Holidays map[string]bool // "2026-09-02"
	Location *time.Location
}

// DefaultSLA is 3 working days, Monday to Friday, in Vietnam's time zone.
func DefaultSLA() SLA {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		loc = time.FixedZone("ICT", 7*3600)
	}
	return SLA{Default: 3, WorkingDays: map[Source]int{SourceLiveQuestion: 1, SourceReport: 1}, Holidays: map[string]bool{}, Location: loc}
}

// Due returns when an item of src created at t is due.
func (s SLA) Due(src Source, t time.Time) time.Time {
	days, ok := s.WorkingDays[src]
	if !ok {
		days = s.Default
	}
	return s.AddWorkingDays(t, days)
}

// IsWorkingDay reports whether the date of t is a working day.
func (s SLA) IsWorkingDay(t time.Time) bool {
	t = t.In(s.Location)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !s.Holidays[t.Format("2006-01-02")]
}

// AddWorkingDays moves t forward by n working days, keeping the time of day.
func (s SLA) AddWorkingDays(t time.Time, n int) time.Time {
	t = t.In(s.Location)
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if s.IsWorkingDay(t) {
			n--
		}
	}
	return t
}
