package main

import (
	"context"
	"net/url"

	"github.com/doithoai/doithoai/livechat"
	"github.com/go-chi/chi/v5"
)

// wireLivechat builds the livechat channel: its hub fans out through the
// node's broker, counts viewers in Redis when there is one, enqueues
// transcripts and live questions in moderation and takes decisions back.
// serve calls its Shutdown first when the node stops, so every socket is
// closed with "going away" while PostgreSQL is still there.
func (a *app) wireLivechat(ctx context.Context) error {
	// Operators are on duty in the SLA's office hours (SLA_OFFICE_HOURS).
	opts := livechat.Options{SecureCookies: a.cfg.SecureCookies, Redis: a.redis, RedisPrefix: redisPrefix,
		AcceptWait: a.cfg.ChatAcceptWait, DutyHours: a.moderation.SLA.Hours}
	if u, err := url.Parse(a.cfg.BaseURL); err == nil && u.Host != "" {
		opts.OriginPatterns = []string{u.Host}
	}
	svc, err := livechat.New(livechat.Deps{Pool: a.pool, Broker: a.broker, Limiter: a.limiter, Queue: a.moderation,
		Log: a.log, Metrics: a.metrics, Options: opts})
	if err != nil {
		return err
	}
	if err := a.catalog.Add(livechat.Messages); err != nil {
		return err
	}
	a.livechat = svc
	return nil
}

// mountLivechat mounts /ws, the conversations and live-sessions API and
// the /giao-luu and /chat pages.
func (a *app) mountLivechat(r chi.Router) {
	r.Group(a.livechat.Routes)
}
