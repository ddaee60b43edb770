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
	"golang.org/x/sync/errgroup"
)

// serve runs a node until ctx is cancelled, then drains HTTP within
// SHUTDOWN_GRACE. ln, when not nil, is used instead of listening on
// HTTP_ADDR (tests pass a listener on port 0).
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, ln net.Listener) error {
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return fmt.Errorf("listen on HTTP_ADDR: %w", err)
		}
	}
	srv := &http.Server{
		Handler:           a.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		log.Info("http listening", "addr", ln.Addr().String())
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
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
		return srv.Shutdown(sctx)
	})
	return g.Wait()
}

// startBackground runs the node's periodic jobs until ctx ends.
func (a *app) startBackground(ctx context.Context, g *errgroup.Group) {
	if !a.cfg.DisableSIP {
		// Run serves SIP until ctx ends, then hangs up calls with BYE and
		// finishes recordings; a port it cannot open stops the node.
		g.Go(func() error { return a.hotline.Run(ctx) })
	}
	g.Go(func() error { a.moderationEvents.Run(ctx); return nil })
	g.Go(func() error { a.moderation.RunJanitor(ctx, 15*time.Second); return nil })
	g.Go(func() error { a.runFeedbackJobs(ctx); return nil })
	g.Go(func() error { a.forum.RunViewFlusher(ctx, 5*time.Second); return nil })
	g.Go(func() error { a.runRetention(ctx); return nil })
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
