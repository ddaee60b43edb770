package moderation

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/jackc/pgx/v5"
)

// Keys of admin_settings. A saved value overrides the node's environment
// default (SLA_RULES, SLA_OFFICE_HOURS, RETENTION_DAYS, HOTLINE_HOURS).
const (
	SettingSLARules      = "sla_rules"
	SettingOfficeHours   = "sla_office_hours"
	SettingRetentionDays = "retention_days"
	SettingHotlineHours  = "hotline_hours"
)

// Setting returns the saved value of key, if any.
func Setting(ctx context.Context, q db.Querier, key string) (string, bool, error) {
	var v string
	err := q.QueryRow(ctx, `SELECT value FROM admin_settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("moderation.Setting %s: %w", key, err)
	}
	return v, true, nil
}

// SaveSetting stores key = value through q (the caller's transaction,
// after validating value) and writes the admin audit entry with it. An
// empty value removes the override, so the environment default applies.
func SaveSetting(ctx context.Context, q db.Querier, actor *identity.User, key, value string) error {
	before, had, err := Setting(ctx, q, key)
	if err != nil {
		return err
	}
	if had && before == value || !had && value == "" {
		return nil // nothing changes, nothing to audit
	}
	if value == "" {
		_, err = q.Exec(ctx, `DELETE FROM admin_settings WHERE key = $1`, key)
	} else {
		_, err = q.Exec(ctx, `INSERT INTO admin_settings (key, value, updated_by, updated_at) VALUES ($1, $2, $3, now())
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = now()`,
			key, value, actor.ID)
	}
	if err != nil {
		return fmt.Errorf("moderation.SaveSetting %s: %w", key, err)
	}
	var b, a any
	if had {
		b = map[string]string{"value": before}
	}
	if value != "" {
		a = map[string]string{"value": value}
	}
	return AdminAudit(ctx, q, actor, "setting.update", "setting:"+key, b, a)
}

// Holiday is a date admins declared: a holiday (not a working day) or a
// make-up working day on a weekend.
type Holiday struct {
	Day  time.Time `json:"day"`
	Name string    `json:"name"`
	Kind string    `json:"kind"` // "holiday" or "workday"
}

// DayString is the holiday's date as YYYY-MM-DD.
func (h Holiday) DayString() string { return h.Day.Format("2006-01-02") }

// FindHolidays lists the declared dates, oldest first.
func (s *Store) FindHolidays(ctx context.Context) (_ []Holiday, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindHolidays")
	return findHolidays(ctx, s.pool)
}

func findHolidays(ctx context.Context, q db.Querier) ([]Holiday, error) {
	rows, err := q.Query(ctx, `SELECT day, name, kind FROM sla_holidays ORDER BY day`)
	if err != nil {
		return nil, fmt.Errorf("moderation.FindHolidays: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Holiday])
}

// ParseHoliday validates a holiday typed in a form: a YYYY-MM-DD date, a
// name of at most 200 characters, and a kind.
func ParseHoliday(day, name, kind string) (Holiday, error) {
	d, err := time.Parse("2006-01-02", day)
	if err != nil {
		return Holiday{}, apperr.Invalidf("bad_date", "the date must be YYYY-MM-DD")
	}
	if len([]rune(name)) > 200 {
		return Holiday{}, apperr.Invalidf("name_too_long", "the name is too long")
	}
	if kind == "" {
		kind = "holiday"
	}
	if kind != "holiday" && kind != "workday" {
		return Holiday{}, apperr.Invalidf("bad_kind", "kind must be holiday or workday")
	}
	return Holiday{Day: d, Name: name, Kind: kind}, nil
}

// AddHoliday declares h (from ParseHoliday); a date already declared is a
// Conflict. The admin audit entry is written in the same transaction.
func (s *Store) AddHoliday(ctx context.Context, actor *identity.User, h Holiday) (err error) {
	defer apperr.Wrap(&err, "moderation.Store.AddHoliday(%s)", h.Day.Format("2006-01-02"))
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO sla_holidays (day, name, kind) VALUES ($1, $2, $3) ON CONFLICT (day) DO NOTHING`,
			h.Day, h.Name, h.Kind)
		if err != nil {
			return fmt.Errorf("moderation.AddHoliday: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return apperr.Conflictf("holiday_exists", "%s is already declared", h.DayString())
		}
		return AdminAudit(ctx, tx, actor, "holiday.create", "holiday:"+h.DayString(), nil, h)
	})
}

// DeleteHoliday removes a declared date (NotFound if none).
func (s *Store) DeleteHoliday(ctx context.Context, actor *identity.User, day string) (err error) {
	defer apperr.Wrap(&err, "moderation.Store.DeleteHoliday(%q)", day)
	d, err := time.Parse("2006-01-02", day)
	if err != nil {
		return apperr.Invalidf("bad_date", "the date must be YYYY-MM-DD")
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var h Holiday
		err := tx.QueryRow(ctx, `DELETE FROM sla_holidays WHERE day = $1 RETURNING day, name, kind`, d).Scan(&h.Day, &h.Name, &h.Kind)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("no such holiday")
		}
		if err != nil {
			return fmt.Errorf("moderation.DeleteHoliday: %w", err)
		}
		return AdminAudit(ctx, tx, actor, "holiday.delete", "holiday:"+day, h, nil)
	})
}

// CurrentSLA is the SLA in force: SLA (from the environment) with the
// rules, office hours and dates admins saved (ReloadSettings).
func (s *Service) CurrentSLA() SLA {
	if p := s.sla.Load(); p != nil {
		return *p
	}
	return s.SLA
}

// ReloadSettings reads what admins saved and applies it over SLA. Every
// node calls it at start, after an admin's change on it, and periodically,
// so a change made on one node reaches the others. A stored value that no
// longer parses is logged and skipped (the environment's stays).
func (s *Service) ReloadSettings(ctx context.Context) (err error) {
	defer apperr.Wrap(&err, "moderation.Service.ReloadSettings")
	sla, err := s.settingsSLA(ctx)
	if err != nil {
		return err
	}
	s.sla.Store(&sla)
	return nil
}

func (s *Service) settingsSLA(ctx context.Context) (SLA, error) {
	sla := s.SLA
	sla.Holidays, sla.Workdays = maps.Clone(sla.Holidays), maps.Clone(sla.Workdays)
	if sla.Holidays == nil {
		sla.Holidays = map[string]bool{}
	}
	if sla.Workdays == nil {
		sla.Workdays = map[string]bool{}
	}
	if v, ok, err := Setting(ctx, s.pool, SettingSLARules); err != nil {
		return sla, err
	} else if ok {
		if rules, err := ParseSLARules(v); err != nil {
			s.Log.Warn("stored SLA rules do not parse; the configured ones stay", "err", err)
		} else {
			sla.Rules = rules
		}
	}
	if v, ok, err := Setting(ctx, s.pool, SettingOfficeHours); err != nil {
		return sla, err
	} else if ok {
		if hours, err := ParseHours(v); err != nil {
			s.Log.Warn("stored office hours do not parse; the configured ones stay", "err", err)
		} else {
			sla.Hours = hours
		}
	}
	days, err := findHolidays(ctx, s.pool)
	if err != nil {
		return sla, err
	}
	for _, h := range days {
		if h.Kind == "workday" {
			sla.Workdays[h.DayString()] = true
		} else {
			sla.Holidays[h.DayString()] = true
		}
	}
	return sla, nil
}

// RetentionDays is the retention in force: the admins' setting, else
// fallback (RETENTION_DAYS).
func RetentionDays(ctx context.Context, q db.Querier, fallback int) (int, error) {
	v, ok, err := Setting(ctx, q, SettingRetentionDays)
	if err != nil || !ok {
		return fallback, err
	}
	n, err := ParseRetentionDays(v)
	if err != nil {
		return fallback, nil
	}
	return n, nil
}

// ParseRetentionDays reads a retention of 1 to 3650 days.
func ParseRetentionDays(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > 3650 {
		return 0, apperr.Invalidf("bad_retention", "retention must be a whole number of days from 1 to 3650")
	}
	return n, nil
}
