package feedback

import (
	"net/url"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
)

var errBadDirectiveStatus = apperr.Invalidf("bad_status", "status must be open, overdue, done or empty")

// DefaultDays is the range the dashboard shows when none is chosen.
const DefaultDays = 30

// maxRange bounds a request so that one click cannot ask for a century.
const maxRange = 5 * 366 * 24 * time.Hour

// ParseRange reads from= and to= from q. Each is a date (YYYY-MM-DD, a whole
// day in loc, to inclusive) or an RFC 3339 time (to exclusive). Missing
// ones default to the last DefaultDays days up to the end of today.
func ParseRange(q url.Values, now time.Time, loc *time.Location) (Range, error) {
	now = now.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	rng := Range{From: today.AddDate(0, 0, 1-DefaultDays), To: today.AddDate(0, 0, 1)}
	parse := func(name string, end bool) (time.Time, bool, error) {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return time.Time{}, false, nil
		}
		if d, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
			if end {
				d = d.AddDate(0, 0, 1)
			}
			return d, true, nil
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, true, nil
		}
		return time.Time{}, false, apperr.Invalidf("bad_range", "%s=%q: want a date like 2026-05-31 or an RFC 3339 time", name, v)
	}
	from, hasFrom, err := parse("from", false)
	if err != nil {
		return rng, err
	}
	to, hasTo, err := parse("to", true)
	if err != nil {
		return rng, err
	}
	switch {
	case hasFrom && hasTo:
		rng = Range{From: from, To: to}
	case hasFrom:
		rng.From = from
		if !rng.To.After(from) {
			rng.To = from.AddDate(0, 0, DefaultDays)
		}
	case hasTo:
		rng = Range{From: to.AddDate(0, 0, -DefaultDays), To: to}
	}
	if !rng.To.After(rng.From) {
		return rng, apperr.Invalidf("bad_range", "from must be before to")
	}
	if rng.To.Sub(rng.From) > maxRange {
		return rng, apperr.Invalidf("bad_range", "a range is at most five years")
	}
	return rng, nil
}

// LastDay is the inclusive end date of rng, as a date field shows it.
func (r Range) LastDay(loc *time.Location) time.Time { return r.To.Add(-time.Nanosecond).In(loc) }
