// Package feedback is the leaders' view of the moderation queue: what
// people ask, where, how fast the team answers and what is late. It serves
// the dashboard (charts drawn as inline SVG on the server), the summary and
// CSV export API, the escalated inbox with sign-off, directive tracking,
// and the background job that escalates overdue items and directives.
//
// It reads the queue's tables directly for figures, and goes through
// moderation.Service for every change, so that changes are audited and
// announced like any other queue action.
package feedback

import (
	"fmt"
	"time"

	"github.com/doithoai/doithoai/moderation"
)

// Range is a half-open interval [From, To) of item creation times.
type Range struct {
	From time.Time
	To   time.Time
}

// Count is one bar of a breakdown.
type Count struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// Summary is the figures of a range.
type Summary struct {
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	Total      int       `json:"total"`
	ByChannel  []Count   `json:"-"`
	ByStatus   []Count   `json:"-"`
	ByCategory []Count   `json:"-"`
	ByProvince []Count   `json:"-"`
	ByLanguage []Count   `json:"-"`
	// Medians over the items of the range that have had a first response
	// (an answer): nil when none has. Each item counts its whole minutes
	// (rounded down) from creation to first response (answer); with an
	// even number of items the median is the mean of the two middle ones,
	// so it is a whole or a half minute (percentile_cont(0.5)).
	MedianFirstResponseMinutes *float64 `json:"median_minutes_to_first_response"`
	MedianAnswerMinutes        *float64 `json:"median_minutes_to_answer"`
	Responded                  int      `json:"responded"`
	Answered                   int      `json:"answered"`
	// Overdue: items of the range still open past their due time.
	Overdue int `json:"overdue"`
	// Escalated: items of the range that were escalated to a leader.
	Escalated int `json:"escalated"`
}

// addCount files one breakdown row, as both Summary (rollup) and
// SummaryScan (items) read them: dim names the breakdown ("channel",
// "status", "category", "province", "language"), an empty key is
// Unspecified. It leaves Total alone: each caller has its own count of it.
func (s *Summary) addCount(dim, key string, n int) error {
	if key == "" {
		key = Unspecified
	}
	c := Count{Key: key, Count: n}
	switch dim {
	case "channel":
		s.ByChannel = append(s.ByChannel, c)
	case "status":
		s.ByStatus = append(s.ByStatus, c)
	case "category":
		s.ByCategory = append(s.ByCategory, c)
	case "province":
		s.ByProvince = append(s.ByProvince, c)
	case "language":
		s.ByLanguage = append(s.ByLanguage, c)
	default:
		return fmt.Errorf("feedback summary: unknown breakdown %q", dim)
	}
	return nil
}

// Unspecified stands for an empty category, province or language.
const Unspecified = "unspecified"

// OpenStatuses are those of items that still run against their SLA.
var OpenStatuses = []string{moderation.StatusPending, moderation.StatusApproved, moderation.StatusInfoRequested}

// TrendPoint is the number of items that arrived in one bucket (a day, a
// week or a month), by channel, and how many of them are answered.
type TrendPoint struct {
	Start     time.Time      `json:"start"`
	ByChannel map[string]int `json:"by_channel"`
	Total     int            `json:"total"`
	Answered  int            `json:"answered"`
}

// InboxItem is one line of the escalated inbox.
type InboxItem struct {
	ID             int64
	Source         string
	Title          string
	Category       string
	Province       string
	Status         string
	Assignee       string
	CreatedAt      time.Time
	DueAt          time.Time
	EscalatedAt    *time.Time
	SignedOffAt    *time.Time
	SignedOffBy    string
	OpenDirectives int
	Overdue        bool
}

// DirectiveRow is a directive with its item, for the tracking list.
type DirectiveRow struct {
	ID          int64      `json:"id"`
	ItemID      int64      `json:"item_id"`
	ItemTitle   string     `json:"item_title"`
	Leader      string     `json:"leader"`
	Note        string     `json:"note"`
	Department  string     `json:"department,omitempty"`
	Deadline    *time.Time `json:"deadline,omitempty"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	DoneAt      *time.Time `json:"done_at,omitempty"`
	DoneBy      string     `json:"done_by,omitempty"`
	DoneNote    string     `json:"done_note,omitempty"`
	EscalatedAt *time.Time `json:"escalated_at,omitempty"`
	Overdue     bool       `json:"overdue"`
	// The people by name, for pages (Leader and DoneBy are logins).
	LeaderName string `json:"leader_name"`
	DoneByName string `json:"done_by_name,omitempty"`
}

// DirectiveFilter selects directives: Status "open", "done", "overdue" or
// "" for all.
type DirectiveFilter struct {
	Status string
	ItemID int64
	Limit  int
}
