package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/doithoai/doithoai/internal/config"
	"github.com/doithoai/doithoai/internal/web"
	"golang.org/x/sync/errgroup"
)

// listeners are sockets serve uses instead of opening its own (tests pass
// listeners on port 0 and so learn both addresses).
type listeners struct {
	HTTP    net.Listener // nil: listen on HTTP_ADDR
	Metrics net.Listener // nil: listen on METRICS_ADDR, unless it is off
}

// serve runs a node until ctx is cancelled, then drains HTTP within
// SHUTDOWN_GRACE.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, ls listeners) error {
	fdLimit := raiseFDLimit(log)
	var err error
	if ls.HTTP == nil {
		if ls.HTTP, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return fmt.Errorf("listen on HTTP_ADDR: %w", err)
		}
	}
	if ls.Metrics == nil && cfg.MetricsAddr != "" {
		if ls.Metrics, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ls.HTTP.Close()
			return fmt.Errorf("listen on METRICS_ADDR: %w", err)
		}
	}
	// Without BASE_URL, links that leave the site (SMS, e-mail) point at
	// the address actually listened on (port 0 included); pages and the
	// API use the request's host.
	if cfg.BaseURL == "" {
		cfg.ListenURL = config.ListenURL(ls.HTTP.Addr().String())
	}
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		ls.HTTP.Close()
		if ls.Metrics != nil {
			ls.Metrics.Close()
		}
		return err
	}
	defer a.close()
	budget := web.NewConnBudget(httpConnBudget(cfg, fdLimit, log))
	a.metrics.RegisterConnBudget(budget)
	srv := &http.Server{
		Handler: a.routes(),
		// A connection that sends no request is closed after
		// ReadHeaderTimeout; until then it may be evicted by the budget.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ConnState:         budget.ConnState,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	servers := []*http.Server{srv}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		log.Info("http listening", "addr", ls.HTTP.Addr().String(), "max_conns", budget.Max())
		// Accept errors such as EMFILE are temporary for net/http, which
		// retries with a back-off: running out of descriptors slows the
		// node down but never stops it.
		if err := srv.Serve(budget.Listener(ls.HTTP)); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	if ls.Metrics != nil {
		msrv := a.metricsServer()
		servers = append(servers, msrv)
		g.Go(func() error {
			log.Info("metrics listening", "addr", ls.Metrics.Addr().String())
			if err := msrv.Serve(ls.Metrics); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	a.startBackground(gctx, g)
	g.Go(func() error {
		<-gctx.Done()
		log.Info("shutting down", "grace", cfg.ShutdownGrace)
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
		defer cancel()
		// WebSockets are hijacked connections that http.Server.Shutdown
		// neither waits for nor closes: close them first, with "going
		// away", so clients reconnect to another node at once.
		a.livechat.Shutdown(sctx)
		var errs []error
		for _, s := range servers {
			errs = append(errs, s.Shutdown(sctx))
		}
		return errors.Join(errs...)
	})
	return g.Wait()
}

// metricsServer serves /metrics alone, for METRICS_ADDR: the figures
// (routes, pool, process) are for the operator's scraper, not the public.
func (a *app) metricsServer() *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics.Handler())
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
}

// startBackground runs the node's periodic jobs until ctx ends.
func (a *app) startBackground(ctx context.Context, g *errgroup.Group) {
	if !a.cfg.DisableSIP {
		// Run serves SIP until ctx ends, then hangs up calls with BYE and
		// finishes recordings; a port it cannot open stops the node.
		g.Go(func() error { return a.hotline.Run(ctx) })
	}
	g.Go(func() error { a.hotline.ImportOnStart(ctx); return nil }) // recordings older versions left in DATA_DIR
	g.Go(func() error { a.moderationEvents.Run(ctx); return nil })
	g.Go(func() error { a.livechat.RunAcceptWatch(ctx); return nil })
	g.Go(func() error { a.moderation.RunJanitor(ctx, 15*time.Second); return nil })
	g.Go(func() error { a.runFeedbackJobs(ctx); return nil })
	g.Go(func() error { a.forum.RunViewFlusher(ctx, 5*time.Second); return nil })
	g.Go(func() error { a.forum.RunPageCache(ctx); return nil })
	g.Go(func() error { a.runRetention(ctx); return nil })
	g.Go(func() error { a.runSettingsReload(ctx); return nil })
	g.Go(func() error { a.runNotifyWorker(ctx); return nil })
	g.Go(func() error {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				if n, err := a.auth.Store.DeleteExpiredSessions(ctx); err != nil {
					a.log.Warn("expire sessions", "err", err)
				} else if n > 0 {
					a.log.Info("expired sessions deleted", "count", n)
				}
			}
		}
	})
}
