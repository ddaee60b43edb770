package moderation

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

func itoa(n int) string { return strconv.Itoa(n) }

// formatBudget writes b the way ParseBudget reads it.
func formatBudget(b Budget) string {
	s := ""
	if b.Days > 0 {
		s = itoa(b.Days) + "d"
	}
	if b.Extra > 0 {
		s += strings.TrimSuffix(strings.TrimSuffix(b.Extra.String(), "0s"), "0m")
	}
	return s
}

// formatHours writes periods the way ParseHours reads them.
func formatHours(ps []Period) string {
	clock := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	var parts []string
	for _, p := range ps {
		parts = append(parts, clock(p.Start)+"-"+clock(p.End))
	}
	return strings.Join(parts, ",")
}

// dateList is a set of dates, sorted and comma-separated.
func dateList(m map[string]bool) string {
	var out []string
	for d := range m {
		out = append(out, d)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// cannedFor orders canned answers for an item in lang: those in the
// item's language (Vietnamese when it has none) first, the others after.
func cannedFor(all []CannedAnswer, lang string) []CannedAnswer {
	if lang == "" {
		lang = "vi"
	}
	out := make([]CannedAnswer, 0, len(all))
	for _, c := range all {
		if c.Language == lang {
			out = append(out, c)
		}
	}
	for _, c := range all {
		if c.Language != lang {
			out = append(out, c)
		}
	}
	return out
}
