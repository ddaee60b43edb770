package main

import (
	"context"

	"github.com/doithoai/doithoai/moderation/notify"
	"github.com/go-chi/chi/v5"
)

// wireNotify builds the outbox on moderation (after moderation and the
// SLA's zone are set). With no gateway configured, notifications are kept
// in the outbox and shown on the tracking page only.
func (a *app) wireNotify() (err error) {
	if err := a.catalog.Add(notify.Messages); err != nil {
		return err
	}
	a.notify, err = notify.New(notify.Deps{Pool: a.pool, Moderation: a.moderation, Catalog: a.catalog, Log: a.log,
		Config: notify.Config{LinkBase: a.cfg.LinkBase(), SMSGatewayURL: a.cfg.SMSGatewayURL, SMSSender: a.cfg.SMSSender,
			SMTPURL: a.cfg.SMTPURL, MailFrom: a.cfg.MailFrom}})
	return err
}

// runNotifyWorker sends the outbox until ctx ends (every node runs one).
func (a *app) runNotifyWorker(ctx context.Context) { a.notify.Run(ctx) }

func (a *app) mountNotify(r chi.Router) { a.notify.Routes(r) }
