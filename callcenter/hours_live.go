package callcenter

import (
	"context"
	"fmt"
	"maps"
	"sync/atomic"

	"github.com/doithoai/doithoai/moderation"
)

// liveHours holds the business hours in force, which an admin may change
// while calls run: readers take a snapshot, a change swaps it whole.
type liveHours struct{ p atomic.Pointer[Hours] }

func newLiveHours(h Hours) *liveHours {
	l := &liveHours{}
	l.p.Store(&h)
	return l
}

func (l *liveHours) get() Hours { return *l.p.Load() }

// Hours are the business hours in force (configuration, or the admins'
// hotline_hours setting, with the declared holidays).
func (c *Center) Hours() Hours { return c.engine.hours.get() }

// ReloadSettings applies the admins' hotline hours over the configured
// ones (HOTLINE_HOURS) and closes the hotline on holidays too (the SLA's
// calendar, with the dates admins declared). A stored schedule that no
// longer parses is logged and the configured one stays.
func (c *Center) ReloadSettings(ctx context.Context, holidays map[string]bool) error {
	h := c.cfg.Hours
	spec, ok, err := moderation.Setting(ctx, c.store.pool, moderation.SettingHotlineHours)
	if err != nil {
		return fmt.Errorf("callcenter.ReloadSettings: %w", err)
	}
	if ok {
		parsed, err := ParseHours(spec, "", h.Loc)
		if err != nil {
			c.log.Warn("stored hotline hours do not parse; the configured ones stay", "err", err)
		} else {
			parsed.Holidays = h.Holidays
			h = parsed
		}
	}
	h.Holidays = maps.Clone(h.Holidays)
	if h.Holidays == nil {
		h.Holidays = map[string]bool{}
	}
	for d := range holidays {
		h.Holidays[d] = true
	}
	c.engine.hours.p.Store(&h)
	return nil
}
