package callcenter

import (
	"fmt"
	"strings"
	"time"
)

// Hours are the hotline's business hours in one time zone, with public
// holidays. Outside them callers go straight to voicemail and their
// callback is due at the next opening (NextOpening).
type Hours struct {
	Loc      *time.Location
	Always   bool            // open around the clock (no hours configured)
	Days     [7][]minuteSpan // by time.Weekday; spans in minutes after midnight
	Holidays map[string]bool // "2026-02-17" for one date, "09-02" for every year
}

type minuteSpan struct{ from, to int }

// DefaultHours is the usual Vietnamese government office schedule.
const DefaultHours = "Mon-Fri 07:30-11:30,13:30-17:00"

// DefaultHolidays are the fixed-date national holidays; lunar ones (Tết,
// Hùng Kings) change every year and are added with full dates.
const DefaultHolidays = "01-01,04-30,05-01,09-01,09-02"

var weekdays = map[string]time.Weekday{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// ParseHours reads a schedule like "Mon-Fri 07:30-11:30,13:30-17:00; Sat
// 07:30-11:30" ("always" or "24/7" for no limits) and a comma-separated
// holiday list of YYYY-MM-DD or MM-DD dates.
func ParseHours(spec, holidays string, loc *time.Location) (Hours, error) {
	h := Hours{Loc: loc, Holidays: map[string]bool{}}
	if loc == nil {
		h.Loc = time.Local
	}
	spec = strings.TrimSpace(spec)
	if s := strings.ToLower(spec); s == "always" || s == "24/7" {
		h.Always = true
	} else {
		for _, part := range strings.Split(spec, ";") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			days, spans, ok := strings.Cut(part, " ")
			if !ok {
				return h, fmt.Errorf("hours %q: want \"Mon-Fri 07:30-17:00\"", part)
			}
			dayList, err := parseDays(days)
			if err != nil {
				return h, err
			}
			for _, sp := range strings.Split(spans, ",") {
				from, to, ok := strings.Cut(strings.TrimSpace(sp), "-")
				f, err1 := parseClock(from)
				t, err2 := parseClock(to)
				if !ok || err1 != nil || err2 != nil || t <= f {
					return h, fmt.Errorf("hours: bad span %q", sp)
				}
				for _, d := range dayList {
					h.Days[d] = append(h.Days[d], minuteSpan{f, t})
				}
			}
		}
	}
	for _, d := range strings.Split(holidays, ",") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		layout := "2006-01-02"
		if len(d) == 5 {
			layout = "01-02"
		}
		if _, err := time.Parse(layout, d); err != nil {
			return h, fmt.Errorf("holiday %q: want YYYY-MM-DD or MM-DD", d)
		}
		h.Holidays[d] = true
	}
	return h, nil
}

func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for _, r := range strings.Split(strings.ToLower(s), ",") {
		a, b, isRange := strings.Cut(r, "-")
		from, ok1 := weekdays[a]
		to, ok2 := weekdays[b]
		if !isRange {
			to, ok2 = from, ok1
		}
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("hours: bad days %q", s)
		}
		for d := from; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == to {
				break
			}
		}
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		if strings.TrimSpace(s) == "24:00" {
			return 24 * 60, nil
		}
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

func (h Hours) holiday(t time.Time) bool {
	return h.Holidays[t.Format("2006-01-02")] || h.Holidays[t.Format("01-02")]
}

// Open reports whether t falls inside business hours.
func (h Hours) Open(t time.Time) bool {
	if h.Always {
		return true
	}
	t = t.In(h.Loc)
	if h.holiday(t) {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	for _, s := range h.Days[t.Weekday()] {
		if m >= s.from && m < s.to {
			return true
		}
	}
	return false
}

// NextOpening is the first opening of a working day after t: later today if
// t is before today's first span, else the next working day's morning. It is
// when an out-of-hours caller's callback falls due.
func (h Hours) NextOpening(t time.Time) time.Time {
	if h.Always {
		return t
	}
	t = t.In(h.Loc)
	for i := range 400 {
		day := time.Date(t.Year(), t.Month(), t.Day()+i, 0, 0, 0, 0, h.Loc)
		spans := h.Days[day.Weekday()]
		if len(spans) == 0 || h.holiday(day) {
			continue
		}
		first := spans[0].from
		for _, s := range spans {
			first = min(first, s.from)
		}
		open := day.Add(time.Duration(first) * time.Minute)
		if open.After(t) {
			return open
		}
	}
	return t.Add(24 * time.Hour) // no working day in a year: configuration error, be lenient
}
