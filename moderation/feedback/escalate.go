package feedback

import (
	"context"
	"log/slog"
	"time"

	"github.com/doithoai/doithoai/moderation"
	"github.com/prometheus/client_golang/prometheus"
)

// batch bounds one transaction of the escalation job, so that a backlog of
// thousands (after an outage) is worked in short transactions.
const batch = 200

// Escalator is the background job that escalates overdue items and
// directives. Every node runs one; the queue's SKIP LOCKED updates make
// them share the work without doing any of it twice.
type Escalator struct {
	Svc   *moderation.Service
	Log   *slog.Logger
	Every time.Duration
	// Escalations counts what this node escalated, by kind (item, directive).
	Escalations *prometheus.CounterVec
	// Rollup, when set, has its deltas compacted on every round (see
	// Store.Compact): the node passes the store its handlers read.
	Rollup *Store
}

// NewEscalator returns the job; rollup, when not nil, is compacted every
// round; reg, when not nil, gets its counter.
func NewEscalator(svc *moderation.Service, rollup *Store, log *slog.Logger, every time.Duration, reg prometheus.Registerer) *Escalator {
	e := &Escalator{Svc: svc, Rollup: rollup, Log: log, Every: every,
		Escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doithoai_feedback_escalations_total",
			Help: "Items and directives escalated by this node because they passed their due time.",
		}, []string{"kind"})}
	if reg != nil {
		reg.MustRegister(e.Escalations)
	}
	return e
}

// RunOnce escalates everything overdue now, batch by batch, and returns how
// many items and directives it escalated.
func (e *Escalator) RunOnce(ctx context.Context) (items, directives int, err error) {
	for {
		its, err := e.Svc.EscalateOverdue(ctx, batch)
		if err != nil {
			return items, directives, err
		}
		items += len(its)
		e.Escalations.WithLabelValues("item").Add(float64(len(its)))
		if len(its) < batch {
			break
		}
	}
	for {
		ds, err := e.Svc.EscalateOverdueDirectives(ctx, batch)
		if err != nil {
			return items, directives, err
		}
		directives += len(ds)
		e.Escalations.WithLabelValues("directive").Add(float64(len(ds)))
		if len(ds) < batch {
			break
		}
	}
	// Directives due within a day: their responsible staff are reminded once.
	for {
		n, err := e.Svc.RemindDirectivesDue(ctx, batch)
		if err != nil {
			return items, directives, err
		}
		if n < batch {
			break
		}
	}
	return items, directives, nil
}

// Run escalates at start and then every e.Every until ctx ends; each round
// also compacts the summary's rollup when e.Rollup is set.
func (e *Escalator) Run(ctx context.Context) {
	t := time.NewTicker(e.Every)
	defer t.Stop()
	for {
		items, directives, err := e.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			e.Log.Warn("escalate overdue", "err", err)
		case items+directives > 0:
			e.Log.Info("overdue escalated", "items", items, "directives", directives)
		}
		if e.Rollup != nil {
			if n, err := e.Rollup.Compact(ctx); err != nil && ctx.Err() == nil {
				e.Log.Warn("compact the feedback rollup", "err", err)
			} else if n > 0 {
				e.Log.Debug("feedback rollup compacted", "deltas", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
