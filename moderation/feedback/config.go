package feedback

import (
	"errors"
	"fmt"
	"time"

	"github.com/doithoai/doithoai/moderation"
)

// Config is the feedback domain's part of the node's configuration. Its
// strings are parsed by SLA, so a bad value stops the node at start with a
// message that names it. Field comments name the environment variables
// that are meant to set them.
type Config struct {
	SLARules      string        // SLA_RULES, e.g. "hotline_ticket=3d, report=1d, *@2=4h"
	Holidays      string        // SLA_HOLIDAYS: dates and ranges that are not working days
	Workdays      string        // SLA_WORKDAYS: weekend dates declared working days (làm bù)
	OfficeHours   string        // SLA_OFFICE_HOURS, e.g. "07:30-11:30,13:00-17:00"
	EscalateEvery time.Duration // ESCALATE_EVERY: how often each node looks for overdue items
}

// DefaultSLARules: 3 working days to answer forum and hotline items (and
// chats), 1 for reports and live-session questions.
const DefaultSLARules = "forum_question=3d, forum_reply=3d, hotline_ticket=3d, chat_conversation=3d, report=1d, live_question=1d"

// DefaultHolidays are Vietnam's public holidays of 2026 as announced (New
// Year; Tết Bính Ngọ 14–22 Feb; Hùng Kings' day, a Sunday, moved to 27 Apr;
// Reunification and Labour days; National day) and New Year 2027. The
// lunar ones move every year: set SLA_HOLIDAYS when the government
// announces the next year's days off.
const DefaultHolidays = "2026-01-01, 2026-02-14..2026-02-22, 2026-04-27, 2026-04-30, 2026-05-01, 2026-09-02, 2027-01-01"

// DefaultConfig returns the configuration used when nothing is set.
func DefaultConfig() Config {
	return Config{SLARules: DefaultSLARules, Holidays: DefaultHolidays, EscalateEvery: time.Minute}
}

// SLA applies c to base (the zone and fallbacks stay base's) and reports
// every bad value at once.
func (c Config) SLA(base moderation.SLA) (moderation.SLA, error) {
	var errs []error
	s := base
	if c.SLARules != "" {
		rules, err := moderation.ParseSLARules(c.SLARules)
		if err != nil {
			errs = append(errs, fmt.Errorf("SLA_RULES: %w", err))
		}
		s.Rules = rules
	}
	if c.Holidays != "" {
		h, err := moderation.ParseDates(c.Holidays)
		if err != nil {
			errs = append(errs, fmt.Errorf("SLA_HOLIDAYS: %w", err))
		}
		s.Holidays = h
	}
	if c.Workdays != "" {
		d, err := moderation.ParseDates(c.Workdays)
		if err != nil {
			errs = append(errs, fmt.Errorf("SLA_WORKDAYS: %w", err))
		}
		s.Workdays = d
	}
	if c.OfficeHours != "" {
		h, err := moderation.ParseHours(c.OfficeHours)
		if err != nil {
			errs = append(errs, fmt.Errorf("SLA_OFFICE_HOURS: %w", err))
		}
		s.Hours = h
	}
	if c.EscalateEvery <= 0 {
		errs = append(errs, errors.New("ESCALATE_EVERY: want a positive duration such as 1m"))
	}
	return s, errors.Join(errs...)
}
