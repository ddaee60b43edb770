package main

import (
	"context"
	"time"
)

// runRetention deletes personal data (recordings, phone numbers, e-mail
// addresses) older than RETENTION_DAYS (or the admins' setting), at start and then hourly. Every
// domain purges its own; each step is idempotent, so all nodes may run it.
func (a *app) runRetention(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		a.purgeOnce(ctx, time.Now().AddDate(0, 0, -a.retentionDays(ctx)))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *app) purgeOnce(ctx context.Context, before time.Time) {
	steps := []struct {
		name string
		run  func(context.Context, time.Time) (int64, error)
	}{
		{"hotline", func(ctx context.Context, t time.Time) (int64, error) {
			n, err := a.hotline.PurgePersonalData(ctx, t)
			return int64(n), err
		}},
		{"moderation", a.moderation.PurgePersonalData},
		{"forum", a.forum.PurgePersonalData},
		{"notifications", a.notify.Store().PurgePersonalData},
		{"livechat", a.livechat.PurgePersonalData},
	}
	for _, s := range steps {
		n, err := s.run(ctx, before)
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("retention", "domain", s.name, "err", err)
		case n > 0:
			a.log.Info("personal data deleted after retention", "domain", s.name, "rows", n, "before", before)
		}
	}
}
