package main

import (
	"context"

	"github.com/doithoai/doithoai/moderation/feedback"
	"github.com/go-chi/chi/v5"
)

// feedbackDomain is the leaders' view of the queue: dashboard, summary and
// export, escalated inbox, directive tracking, and the escalation job.
type feedbackDomain struct {
	handlers  *feedback.Handlers
	escalator *feedback.Escalator
}

// feedbackConfig is the feedback part of the node's configuration: the
// defaults, overridden by whatever the environment set.
func (a *app) feedbackConfig() feedback.Config {
	c, f := feedback.DefaultConfig(), a.cfg.Feedback
	for dst, v := range map[*string]string{&c.SLARules: f.SLARules, &c.Holidays: f.Holidays,
		&c.Workdays: f.Workdays, &c.OfficeHours: f.OfficeHours} {
		if v != "" {
			*dst = v
		}
	}
	c.EscalateEvery = f.EscalateEvery
	return c
}

// wireFeedback builds the feedback domain on top of moderation (call it
// after moderation is built, before the node serves): it sets the queue's
// SLA (working days and hours, holidays) and registers the job's metrics.
func (a *app) wireFeedback(ctx context.Context) error {
	cfg := a.feedbackConfig()
	sla, err := cfg.SLA(a.moderation.SLA)
	if err != nil {
		return err
	}
	a.moderation.SLA = sla
	store := feedback.NewStore(a.pool, sla.Location)
	h, err := feedback.NewHandlers(a.moderation, store)
	if err != nil {
		return err
	}
	if err := a.catalog.Add(feedback.Messages); err != nil {
		return err
	}
	a.feedback = &feedbackDomain{
		handlers:  h,
		escalator: feedback.NewEscalator(a.moderation, store, a.log, cfg.EscalateEvery, a.metrics),
	}
	return nil
}

// mountFeedback mounts the dashboard, the feedback API and directive
// tracking (inside the group that has the session user and CSRF).
func (a *app) mountFeedback(r chi.Router) {
	r.Group(a.feedback.handlers.Routes)
}

// runFeedbackJobs escalates overdue items and directives until ctx ends.
// Every node runs it; SKIP LOCKED shares the work between them.
func (a *app) runFeedbackJobs(ctx context.Context) {
	a.feedback.escalator.Run(ctx)
}
