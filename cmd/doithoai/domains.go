package main

import (
	"context"

	"github.com/doithoai/doithoai/forum"
	"github.com/doithoai/doithoai/moderation"
	"github.com/go-chi/chi/v5"
)

// wireDomains builds every domain. Order matters: moderation first, since
// the channels enqueue into it and register their decision handlers on it.
func (a *app) wireDomains(ctx context.Context) (err error) {
	a.moderation = moderation.NewService(a.pool, a.cfg.ClaimLease, a.log)
	a.moderation.Limiter = a.limiter // tracking look-ups share the deployment's counts
	a.moderation.SMSInboundToken = a.cfg.SMSInboundToken
	a.moderationEvents = moderation.NewEvents(a.pool, a.log)
	if a.moderationHandlers, err = moderation.NewHandlers(a.moderation, a.moderationEvents); err != nil {
		return err
	}
	if err := a.wireFeedback(ctx); err != nil {
		return err
	}
	if err := a.wireNotify(); err != nil {
		return err
	}
	if a.forum, err = forum.New(forum.Deps{Pool: a.pool, Moderation: a.moderation, Limiter: a.limiter, Log: a.log,
		Options: forum.Options{BaseURL: a.cfg.BaseURL, SigningKey: a.signingKey, SecureCookies: a.cfg.SecureCookies,
			PageCacheBytes: a.cfg.PageCacheBytes()}}); err != nil {
		return err
	}
	a.moderation.CategoryNames = forumCategoryNames(a.forum.Store)
	if err := a.catalog.Add(moderation.Messages); err != nil {
		return err
	}
	if err := a.catalog.Add(forum.Messages); err != nil {
		return err
	}
	if err := a.wireLivechat(ctx); err != nil {
		return err
	}
	if err := a.wireCallcenter(ctx); err != nil {
		return err
	}
	a.wireAdmin()
	return nil
}

// mountDomains mounts every domain's routes.
func (a *app) mountDomains(r chi.Router) {
	r.Group(a.moderationHandlers.Routes)
	a.mountFeedback(r)
	a.mountNotify(r)
	a.forum.Routes(r)
	a.mountLivechat(r)
	a.mountCallcenter(r)
}

// forumCategoryNames lets moderation (and the leaders' pages) name the
// forum's categories, which moderation knows only by slug.
func forumCategoryNames(store *forum.Store) moderation.CategoryNames {
	return func(ctx context.Context) (map[string]moderation.CategoryName, error) {
		cats, err := store.FindCategories(ctx)
		if err != nil {
			return nil, err
		}
		out := make(map[string]moderation.CategoryName, len(cats))
		for _, c := range cats {
			out[c.Slug] = moderation.CategoryName{VI: c.Name, EN: c.NameEN}
		}
		return out, nil
	}
}
