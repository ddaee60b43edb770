package moderation

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/i18n"
)

// SLA says when an item is due. Budgets are working time: whole working
// days and working hours, counted only inside office hours on working days
// (Monday to Friday, minus public holidays, plus declared make-up days).
// The default is 3 working days for every source; reports and live-session
// questions get 1.
//
// Of the rules an item matches, the one with the highest MinPriority wins,
// and at equal priority one for the item's source beats one for any source.
// With no matching rule, WorkingDays[source] and then Default (whole days)
// apply.
type SLA struct {
	Rules       []SLARule
	WorkingDays map[Source]int // whole working days by source, when no rule matches
	Default     int            // whole working days otherwise
	// Holidays are dates (in Location) that are not working days.
	Holidays map[string]bool // "2026-09-02"
	// Workdays are weekend dates declared working days (ngày làm bù).
	Workdays map[string]bool
	// Hours are the office hours of a working day; none means 07:30–11:30
	// and 13:00–17:00, an 8-hour day. Vietnam has no daylight saving time,
	// so periods are plain offsets from midnight.
	Hours    []Period
	Location *time.Location
}

// Budget is an amount of working time.
type Budget struct {
	Days  int           // whole working days
	Extra time.Duration // working time on top (e.g. 4h, or seconds in tests)
}

// SLARule gives items of Source (any source when "") whose priority is at
// least MinPriority their budget.
type SLARule struct {
	Source      Source
	MinPriority int
	Budget      Budget
}

// Period is one stretch of office hours, as offsets from midnight.
type Period struct{ Start, End time.Duration }

// DefaultHours are a government office's: 07:30–11:30 and 13:00–17:00.
var DefaultHours = []Period{{7*time.Hour + 30*time.Minute, 11*time.Hour + 30*time.Minute}, {13 * time.Hour, 17 * time.Hour}}

// DefaultSLA is 3 working days, Monday to Friday, in Vietnam's time zone;
// reports and live-session questions are due within one working day.
func DefaultSLA() SLA {
	return SLA{Default: 3, WorkingDays: map[Source]int{SourceLiveQuestion: 1, SourceReport: 1},
		Holidays: map[string]bool{}, Workdays: map[string]bool{}, Location: i18n.Vietnam}
}

// BudgetFor returns the working time an item of src with priority gets.
func (s SLA) BudgetFor(src Source, priority int) Budget {
	best, score := -1, -1
	for i, r := range s.Rules {
		if (r.Source != "" && r.Source != src) || priority < r.MinPriority {
			continue
		}
		// Priority first, so an urgent item is never held to a slower
		// source rule; at equal priority the source's own rule wins.
		sc := r.MinPriority * 2
		if r.Source != "" {
			sc++
		}
		if sc > score {
			best, score = i, sc
		}
	}
	if best >= 0 {
		return s.Rules[best].Budget
	}
	if d, ok := s.WorkingDays[src]; ok {
		return Budget{Days: d}
	}
	return Budget{Days: s.Default}
}

// Due returns when an item of src (priority 0) created at t is due.
func (s SLA) Due(src Source, t time.Time) time.Time { return s.DueAt(src, 0, t) }

// DueAt returns when an item of src and priority created at t is due.
func (s SLA) DueAt(src Source, priority int, t time.Time) time.Time {
	b := s.BudgetFor(src, priority)
	return s.AddWorkingTime(t, time.Duration(b.Days)*s.dayLength()+b.Extra)
}

func (s SLA) hours() []Period {
	if len(s.Hours) == 0 {
		return DefaultHours
	}
	return s.Hours
}

func (s SLA) loc() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

func (s SLA) dayLength() time.Duration {
	var d time.Duration
	for _, p := range s.hours() {
		d += p.End - p.Start
	}
	return d
}

// IsWorkingDay reports whether the date of t is a working day.
func (s SLA) IsWorkingDay(t time.Time) bool {
	t = t.In(s.loc())
	date := t.Format("2006-01-02")
	if s.Workdays[date] {
		return true
	}
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !s.Holidays[date]
}

// AddWorkingTime moves t forward by d of working time. Time outside office
// hours does not count: an item that arrives on Saturday starts its clock
// on Monday morning. A zero d returns t itself.
func (s SLA) AddWorkingTime(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	t = t.In(s.loc())
	hours := s.hours()
	// Ten years of days bounds the walk whatever the holiday list says.
	for i := 0; i < 3660; i++ {
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
		if s.IsWorkingDay(day) {
			for _, p := range hours {
				start, end := day.Add(p.Start), day.Add(p.End)
				if !t.Before(end) {
					continue
				}
				if t.Before(start) {
					t = start
				}
				if left := end.Sub(t); d <= left {
					return t.Add(d)
				}
				d -= end.Sub(t)
				t = end
			}
		}
		t = day.AddDate(0, 0, 1)
	}
	return t
}

// NextWorkingStart returns t if it falls in office hours, else the start
// of the next office period (the "next working morning" of a callback).
func (s SLA) NextWorkingStart(t time.Time) time.Time {
	t = t.In(s.loc())
	for i := 0; i < 3660; i++ {
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
		if s.IsWorkingDay(day) {
			for _, p := range s.hours() {
				start, end := day.Add(p.Start), day.Add(p.End)
				if t.Before(start) {
					return start
				}
				if t.Before(end) {
					return t
				}
			}
		}
		t = day.AddDate(0, 0, 1)
	}
	return t
}

// AddWorkingDays moves t forward by n working days, keeping the time of day.
func (s SLA) AddWorkingDays(t time.Time, n int) time.Time {
	t = t.In(s.loc())
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if s.IsWorkingDay(t) {
			n--
		}
	}
	return t
}

// ParseSLARules reads rules such as
//
//	forum_question=3d, hotline_ticket=3d, report=1d, *@2=4h, hotline_ticket@2=1d4h
//
// source (or * for any), optionally @ a minimum priority, = a budget of
// whole working days (d) and/or working time (h, m, s).
func ParseSLARules(spec string) ([]SLARule, error) {
	var out []SLARule
	for _, part := range strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == ';' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("SLA rule %q: want source=budget", part)
		}
		var r SLARule
		key = strings.TrimSpace(key)
		if k, p, ok := strings.Cut(key, "@"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				return nil, fmt.Errorf("SLA rule %q: priority %q is not a number", part, p)
			}
			key, r.MinPriority = strings.TrimSpace(k), n
		}
		if key != "*" {
			if !Source(key).Valid() {
				return nil, fmt.Errorf("SLA rule %q: unknown source %q", part, key)
			}
			r.Source = Source(key)
		}
		b, err := ParseBudget(strings.TrimSpace(val))
		if err != nil {
			return nil, fmt.Errorf("SLA rule %q: %w", part, err)
		}
		r.Budget = b
		out = append(out, r)
	}
	return out, nil
}

// ParseBudget reads "3d", "4h", "1d4h" or "90m".
func ParseBudget(v string) (Budget, error) {
	var b Budget
	if i := strings.IndexByte(v, 'd'); i >= 0 {
		n, err := strconv.Atoi(v[:i])
		if err != nil || n < 0 {
			return b, fmt.Errorf("budget %q: want whole working days like 3d", v)
		}
		b.Days, v = n, v[i+1:]
	}
	if v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return b, fmt.Errorf("budget %q: want days and/or hours like 1d4h", v)
		}
		b.Extra = d
	}
	if b.Days == 0 && b.Extra == 0 {
		return b, fmt.Errorf("budget is empty or zero")
	}
	return b, nil
}

// ParseDates reads comma-separated dates and ranges, e.g.
// "2026-01-01, 2026-02-14..2026-02-22", into a set.
func ParseDates(spec string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		from, to, isRange := strings.Cut(part, "..")
		if !isRange {
			to = from
		}
		a, err1 := time.Parse("2006-01-02", strings.TrimSpace(from))
		b, err2 := time.Parse("2006-01-02", strings.TrimSpace(to))
		if err1 != nil || err2 != nil || b.Before(a) || b.Sub(a) > 366*24*time.Hour {
			return nil, fmt.Errorf("date %q: want YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD", part)
		}
		for d := a; !d.After(b); d = d.AddDate(0, 0, 1) {
			out[d.Format("2006-01-02")] = true
		}
	}
	return out, nil
}

// ParseHours reads office hours such as "07:30-11:30,13:00-17:00".
func ParseHours(spec string) ([]Period, error) {
	var out []Period
	clock := func(s string) (time.Duration, error) {
		t, err := time.Parse("15:04", strings.TrimSpace(s))
		if err != nil {
			if strings.TrimSpace(s) == "24:00" {
				return 24 * time.Hour, nil
			}
			return 0, err
		}
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
	}
	for _, part := range strings.Split(spec, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		a, b, ok := strings.Cut(part, "-")
		start, err1 := clock(a)
		end, err2 := clock(b)
		if !ok || err1 != nil || err2 != nil || end <= start {
			return nil, fmt.Errorf("office hours %q: want HH:MM-HH:MM", part)
		}
		out = append(out, Period{start, end})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	for i := 1; i < len(out); i++ {
		if out[i].Start < out[i-1].End {
			return nil, fmt.Errorf("office hours %q: periods overlap", spec)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("office hours: none given")
	}
	return out, nil
}
