package notify

import (
	"context"
	"errors"
	"log/slog"

	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/moderation"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config is the notifications' part of the node's configuration. With
// neither gateway set, notifications are kept in the outbox and shown on
// the tracking page only.
type Config struct {
	LinkBase      string // absolute base of the links sent (BASE_URL, or where the node listens)
	SMSGatewayURL string // SMS_GATEWAY_URL: Kannel's sendsms URL with its credentials
	SMSSender     string // SMS_SENDER
	SMTPURL       string // SMTP_URL: smtp:// or smtps://
	MailFrom      string // MAIL_FROM
}

// Deps is what the notifications are built from.
type Deps struct {
	Pool       *pgxpool.Pool
	Moderation *moderation.Service // its Outbox is set; dates are shown in its SLA's zone
	Catalog    *i18n.Catalog       // the node's, with this package's Messages added
	Log        *slog.Logger
	Config     Config
}

// Domain tells citizens of their case: the outbox moderation writes into,
// the worker that sends it (when a gateway is configured) and the admins'
// view of the outbox.
type Domain struct {
	handlers *Handlers
	store    *Store
	worker   *Worker // nil when no gateway is configured
}

// New sets moderation's outbox and builds the senders d.Config names.
// Call it after moderation and the SLA's zone are set.
func New(d Deps) (*Domain, error) {
	if d.Pool == nil || d.Moderation == nil || d.Catalog == nil {
		return nil, errors.New("notify: Pool, Moderation and Catalog are required")
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	outbox, err := NewOutbox(d.Pool, d.Catalog, d.Config.LinkBase, d.Moderation.SLA.Location)
	if err != nil {
		return nil, err
	}
	senders := map[string]Sender{}
	if c := d.Config; c.SMSGatewayURL != "" {
		k, err := NewKannel(c.SMSGatewayURL, c.SMSSender)
		if err != nil {
			return nil, err
		}
		senders[ChannelSMS] = k
	}
	if c := d.Config; c.SMTPURL != "" {
		m, err := NewSMTP(c.SMTPURL, c.MailFrom)
		if err != nil {
			return nil, err
		}
		senders[ChannelEmail] = m
	}
	d.Moderation.Outbox = outbox
	store := NewStore(d.Pool)
	n := &Domain{handlers: NewHandlers(store), store: store}
	if len(senders) > 0 {
		n.worker = NewWorker(d.Pool, d.Log, senders)
	}
	return n, nil
}

// Routes mounts the admins' view of the outbox.
func (n *Domain) Routes(r chi.Router) { r.Group(n.handlers.Routes) }

// Store is the outbox's storage (the retention job purges it).
func (n *Domain) Store() *Store { return n.store }

// Run sends the outbox until ctx ends (every node runs one); without a
// gateway it returns at once.
func (n *Domain) Run(ctx context.Context) {
	if n.worker != nil {
		n.worker.Run(ctx)
	}
}
