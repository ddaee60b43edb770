package feedback

import (
	"context"
	"errors"
	"log/slog"

	"github.com/doithoai/doithoai/moderation"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Deps is what the feedback domain is built from.
type Deps struct {
	Pool       *pgxpool.Pool
	Moderation *moderation.Service   // its SLA is set from Config; the figures are its items'
	Log        *slog.Logger          //
	Metrics    prometheus.Registerer // the escalation job's counter; nil: not exported
	Config     Config                // SLA_*, ESCALATE_EVERY
}

// Domain is the leaders' view of the queue: dashboard, summary and export,
// escalated inbox, directive tracking, and the escalation job.
type Domain struct {
	handlers  *Handlers
	escalator *Escalator
}

// New sets the queue's SLA (working days and hours, holidays) from
// d.Config, every bad value named by its variable, and builds the
// handlers and the escalation job. Call it after moderation is built and
// before the channels read the SLA.
func New(d Deps) (*Domain, error) {
	if d.Pool == nil || d.Moderation == nil {
		return nil, errors.New("feedback: Pool and Moderation are required")
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	sla, err := d.Config.SLA(d.Moderation.SLA)
	if err != nil {
		return nil, err
	}
	d.Moderation.SLA = sla
	store := NewStore(d.Pool, sla.Location)
	h, err := NewHandlers(d.Moderation, store)
	if err != nil {
		return nil, err
	}
	return &Domain{handlers: h, escalator: NewEscalator(d.Moderation, store, d.Log, d.Config.EscalateEvery, d.Metrics)}, nil
}

// Routes mounts the dashboard, the feedback API and directive tracking
// (inside the node's group that has the session user and CSRF).
func (f *Domain) Routes(r chi.Router) { r.Group(f.handlers.Routes) }

// Run escalates overdue items and directives until ctx ends. Every node
// runs it; SKIP LOCKED shares the work between them.
func (f *Domain) Run(ctx context.Context) { f.escalator.Run(ctx) }
