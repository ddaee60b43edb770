package main

import (
	"context"
	"time"

	"github.com/doithoai/doithoai/moderation"
)

// settingsReloadEvery is how soon an admin's change of SLA rules, holidays
// or hotline hours made on another node reaches this one.
const settingsReloadEvery = 30 * time.Second

// wireAdmin gives the admin pages what only the node knows. The pages
// themselves are each domain's (users: auth, categories: forum, hotline:
// callcenter, the rest: moderation), mounted with the domain's routes.
func (a *app) wireAdmin() {
	a.moderationHandlers.Admin = moderation.AdminOptions{RetentionDefault: a.cfg.RetentionDays, AfterSettings: a.reloadSettings}
	a.hotline.AfterSettings = a.reloadSettings
}

// reloadSettings applies what admins saved (SLA rules and office hours,
// holidays, hotline hours) on this node. A failure keeps what was in force.
func (a *app) reloadSettings(ctx context.Context) {
	if err := a.moderation.ReloadSettings(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("reload admin settings", "domain", "moderation", "err", err)
	}
	if err := a.hotline.ReloadSettings(ctx, a.moderation.CurrentSLA().Holidays); err != nil && ctx.Err() == nil {
		a.log.Warn("reload admin settings", "domain", "hotline", "err", err)
	}
}

// runSettingsReload reloads the admins' settings at start and then
// periodically, so a change made on any node reaches this one.
func (a *app) runSettingsReload(ctx context.Context) {
	t := time.NewTicker(settingsReloadEvery)
	defer t.Stop()
	for {
		a.reloadSettings(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// retentionDays is the retention in force: the admins' setting, else
// RETENTION_DAYS.
func (a *app) retentionDays(ctx context.Context) int {
	n, err := moderation.RetentionDays(ctx, a.pool, a.cfg.RetentionDays)
	if err != nil && ctx.Err() == nil {
		a.log.Warn("retention setting", "err", err)
	}
	return n
}
