package main

import (
	"context"

	"github.com/doithoai/doithoai/moderation/notify"
	"github.com/go-chi/chi/v5"
)

// notifyDomain tells citizens of their case: the outbox moderation writes
// into, the worker that sends it (when a gateway is configured) and the
// admins' view of the outbox.
type notifyDomain struct {
	handlers *notify.Handlers
	store    *notify.Store
	worker   *notify.Worker // nil when neither SMS_GATEWAY_URL nor SMTP_URL is set
}

// wireNotify builds the outbox on moderation (after moderation and the
// SLA's zone are set). With no gateway configured, notifications are kept
// in the outbox and shown on the tracking page only.
func (a *app) wireNotify() error {
	if err := a.catalog.Add(notify.Messages); err != nil {
		return err
	}
	outbox, err := notify.NewOutbox(a.pool, a.catalog, a.cfg.LinkBase(), a.moderation.SLA.Location)
	if err != nil {
		return err
	}
	a.moderation.Outbox = outbox
	senders := map[string]notify.Sender{}
	if a.cfg.SMSGatewayURL != "" {
		k, err := notify.NewKannel(a.cfg.SMSGatewayURL, a.cfg.SMSSender)
		if err != nil {
			return err
		}
		senders[notify.ChannelSMS] = k
	}
	if a.cfg.SMTPURL != "" {
		m, err := notify.NewSMTP(a.cfg.SMTPURL, a.cfg.MailFrom)
		if err != nil {
			return err
		}
		senders[notify.ChannelEmail] = m
	}
	store := notify.NewStore(a.pool)
	a.notify = &notifyDomain{handlers: notify.NewHandlers(store), store: store}
	if len(senders) > 0 {
		a.notify.worker = notify.NewWorker(a.pool, a.log, senders)
	}
	return nil
}

// runNotifyWorker sends the outbox until ctx ends (every node runs one).
func (a *app) runNotifyWorker(ctx context.Context) {
	if a.notify.worker != nil {
		a.notify.worker.Run(ctx)
	}
}

func (a *app) mountNotify(r chi.Router) { r.Group(a.notify.handlers.Routes) }
