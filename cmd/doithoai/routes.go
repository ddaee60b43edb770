package main

import (
	"context"
	"net/http"
	"time"

	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routes is the node's whole URL surface: plumbing here, each domain's
// routes mounted from the domain's own Routes.
func (a *app) routes() http.Handler {
	r := chi.NewRouter()
	r.NotFound(web.NotFound)
	r.MethodNotAllowed(web.MethodNotAllowed)
	r.Use(web.SecurityHeaders(a.cfg.SecureCookies), web.RequestID)
	if a.cfg.TrustProxy {
		r.Use(web.TrustProxy)
	}
	r.Use(web.AccessLog(a.log), web.Recover, a.metrics.Middleware, web.LimitBody(4<<20))
	// Level 1, not chi's usual 5: a level-5 deflate writer clears 640 KB of
	// hash tables for every response before it compresses a 3 KB page, which
	// was 41% of the node's CPU on a question page; level 1 halves the
	// compression time for about 8% more bytes (BENCHMARKS.md).
	r.Use(middleware.Compress(1, "text/html", "text/css", "application/json", "application/atom+xml", "text/javascript", "text/csv", "image/svg+xml"))

	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		web.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", a.handleReadyz)
	// /metrics is not here: it is served on METRICS_ADDR (serve.go).
	r.Handle("/static/{hash}/*", web.StaticHandler())

	r.Group(func(r chi.Router) {
		r.Use(i18n.Middleware, web.WithCatalog(a.catalog), web.CSRF(a.cfg.SecureCookies), a.auth.Middleware)
		r.Group(a.authHandlers.Routes)
		a.mountDomains(r)
	})
	return r
}

// handleReadyz serves GET /readyz: 200 only while PostgreSQL (and Redis, if
// configured) answer, so a load balancer stops sending traffic meanwhile.
// The body says only "ok" or "down" per check: driver errors name hosts,
// ports, users and databases, so they go to the log.
func (a *app) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	if err := a.pool.Ping(ctx); err != nil {
		a.log.Warn("readyz: postgres does not answer", "err", err)
		checks["postgres"], ok = "down", false
	} else {
		checks["postgres"] = "ok"
	}
	if a.redis != nil {
		if err := a.redis.Ping(ctx).Err(); err != nil {
			a.log.Warn("readyz: redis does not answer", "err", err)
			checks["redis"], ok = "down", false
		} else {
			checks["redis"] = "ok"
		}
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	web.JSON(w, status, map[string]any{"ready": ok, "checks": checks})
}
