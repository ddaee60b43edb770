package main

import (
	"context"
	"sync"

	"github.com/doithoai/doithoai/moderation/feedback"
	"github.com/go-chi/chi/v5"
)

// feedbackDomain is the leaders' view of the queue: dashboard, summary and
// export, escalated inbox, directive tracking, and the escalation job.
type feedbackDomain struct {
	handlers  *feedback.Handlers
	escalator *feedback.Escalator
}

// feedbackDomains holds each node's feedback domain until app has a field
// for it (tests run several nodes in one process, hence the map).
var feedbackDomains sync.Map // *app → *feedbackDomain

func (a *app) feedback() *feedbackDomain {
	d, _ := feedbackDomains.Load(a)
	fd, _ := d.(*feedbackDomain)
	return fd
}

// feedbackConfig is the feedback part of the node's configuration.
func (a *app) feedbackConfig() feedback.Config { return feedback.DefaultConfig() }

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
	h, err := feedback.NewHandlers(a.moderation, feedback.NewStore(a.pool, sla.Location))
	if err != nil {
		return err
	}
	if err := a.catalog.Add(feedback.Messages); err != nil {
		return err
	}
	feedbackDomains.Store(a, &feedbackDomain{
		handlers:  h,
		escalator: feedback.NewEscalator(a.moderation, a.log, cfg.EscalateEvery, a.metrics),
	})
	return nil
}

// mountFeedback mounts the dashboard, the feedback API and directive
// tracking (inside the group that has the session user and CSRF).
func (a *app) mountFeedback(r chi.Router) {
	r.Group(a.feedback().handlers.Routes)
}

// runFeedbackJobs escalates overdue items and directives until ctx ends.
// Every node runs it; SKIP LOCKED shares the work between them.
func (a *app) runFeedbackJobs(ctx context.Context) {
	defer feedbackDomains.Delete(a)
	a.feedback().escalator.Run(ctx)
}
