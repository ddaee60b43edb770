package main

import (
	"context"

	"github.com/doithoai/doithoai/moderation"
	"github.com/go-chi/chi/v5"
)

// wireDomains builds every domain. Order matters: moderation first, since
// the channels enqueue into it and register their decision handlers on it.
func (a *app) wireDomains(ctx context.Context) (err error) {
	a.moderation = moderation.NewService(a.pool, a.cfg.ClaimLease, a.log)
	a.moderationEvents = moderation.NewEvents(a.pool, a.log)
	if a.moderationHandlers, err = moderation.NewHandlers(a.moderation, a.moderationEvents); err != nil {
		return err
	}
	return a.catalog.Add(moderation.Messages)
}

// mountDomains mounts every domain's routes.
func (a *app) mountDomains(r chi.Router) {
	r.Group(a.moderationHandlers.Routes)
}
