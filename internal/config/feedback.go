package config

import "time"

// Feedback is the leaders' section (moderation/feedback): the SLA's
// calendar and the escalation job. The strings are parsed, and bad ones
// reported by variable, when the node is built, since their grammar is
// moderation's; empty means feedback's default.
type Feedback struct {
	SLARules      string        // SLA_RULES, e.g. "hotline_ticket=3d, report=1d, *@2=4h"
	Holidays      string        // SLA_HOLIDAYS: dates and ranges that are not working days
	Workdays      string        // SLA_WORKDAYS: weekend dates that are working days (làm bù)
	OfficeHours   string        // SLA_OFFICE_HOURS, e.g. "07:30-11:30,13:00-17:00"
	EscalateEvery time.Duration // ESCALATE_EVERY: how often each node looks for overdue items
}

func (e *env) readFeedback(f *Feedback) {
	e.str("SLA_RULES", &f.SLARules)
	e.str("SLA_HOLIDAYS", &f.Holidays)
	e.str("SLA_WORKDAYS", &f.Workdays)
	e.str("SLA_OFFICE_HOURS", &f.OfficeHours)
	e.dur("ESCALATE_EVERY", &f.EscalateEvery)
}
