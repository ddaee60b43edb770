package main

import (
	"context"

	"github.com/doithoai/doithoai/moderation/feedback"
	"github.com/go-chi/chi/v5"
)

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
func (a *app) wireFeedback(context.Context) (err error) {
	if err := a.catalog.Add(feedback.Messages); err != nil {
		return err
	}
	a.feedback, err = feedback.New(feedback.Deps{Pool: a.pool, Moderation: a.moderation, Log: a.log, Metrics: a.metrics,
		Config: a.feedbackConfig()})
	return err
}

// mountFeedback mounts the dashboard, the feedback API and directive
// tracking (inside the group that has the session user and CSRF).
func (a *app) mountFeedback(r chi.Router) { a.feedback.Routes(r) }

// runFeedbackJobs escalates overdue items and directives until ctx ends.
func (a *app) runFeedbackJobs(ctx context.Context) { a.feedback.Run(ctx) }
