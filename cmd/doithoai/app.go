package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/doithoai/doithoai/forum"
	"github.com/doithoai/doithoai/internal/auth"
	"github.com/doithoai/doithoai/internal/blob"
	"github.com/doithoai/doithoai/internal/broker"
	"github.com/doithoai/doithoai/internal/config"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/metrics"
	"github.com/doithoai/doithoai/internal/ratelimit"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/livechat"
	"github.com/doithoai/doithoai/moderation"
	"github.com/doithoai/doithoai/moderation/feedback"
	"github.com/doithoai/doithoai/moderation/notify"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// app is one node: its connections and every domain, wired together. It is
// built once by serve (and by tests, on port 0).
type app struct {
	cfg     config.Config
	log     *slog.Logger
	pool    *pgxpool.Pool
	redis   *redis.Client // nil on a single node without Redis
	broker  broker.Broker
	limiter ratelimit.Limiter
	metrics *metrics.Registry
	catalog *i18n.Catalog

	auth         *auth.Service
	authHandlers *auth.Handlers

	moderation         *moderation.Service
	moderationEvents   *moderation.Events
	moderationHandlers *moderation.Handlers

	feedback *feedback.Domain
	notify   *notify.Domain
	livechat *livechat.Service
	hotline  *callcenter.Center
	blobs    blob.Store // recordings and spoken answers (BLOB_STORE)

	forum *forum.Domain
}

// redisPrefix namespaces every key and channel of this deployment.
const redisPrefix = "doithoai:"

func newApp(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *app, err error) {
	a := &app{cfg: cfg, log: log, metrics: metrics.New(), catalog: i18n.New()}
	defer func() {
		if err != nil {
			a.close() // what was opened before the failure
		}
	}()
	if a.pool, err = db.Open(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	a.metrics.RegisterPool(a.pool)
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		a.redis = redis.NewClient(opts)
		if err := a.redis.Ping(ctx).Err(); err != nil {
			return nil, fmt.Errorf("redis does not answer: %w", err)
		}
		// Redis fans out; while it is down, PostgreSQL NOTIFY does (issue 13).
		a.broker = broker.NewFallback(broker.NewRedis(a.redis, redisPrefix), a.redis, broker.NewPostgres(a.pool, redisPrefix))
		a.limiter = ratelimit.NewRedis(a.redis, redisPrefix)
	} else {
		a.broker = broker.NewMemory()
		a.limiter = ratelimit.NewMemory()
	}
	if err := a.catalog.Add(web.Messages); err != nil {
		return nil, err
	}
	a.auth = &auth.Service{Store: auth.NewStore(a.pool), Limiter: a.limiter, SessionTTL: cfg.SessionTTL, Log: log,
		SigningKey: a.signingKey}
	if a.authHandlers, err = auth.NewHandlers(a.auth, cfg.SecureCookies); err != nil {
		return nil, err
	}
	a.authHandlers.Audit = moderation.AdminAudit // internal/auth cannot import moderation
	if err := a.catalog.Add(auth.Messages); err != nil {
		return nil, err
	}
	if err := a.wireDomains(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *app) close() {
	if a.broker != nil {
		_ = a.broker.Close()
	}
	if a.redis != nil {
		_ = a.redis.Close()
	}
	if a.pool != nil {
		a.pool.Close()
	}
}
