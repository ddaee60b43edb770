package main

import (
	"context"
	"log/slog"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/doithoai/doithoai/forum"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// seedDomains adds each domain's demo data, in one transaction.
func seedDomains(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	return db.InTx(ctx, pool, func(tx pgx.Tx) error {
		if err := moderation.Seed(ctx, tx); err != nil {
			return err
		}
		if err := forum.Seed(ctx, tx); err != nil {
			return err
		}
		return callcenter.Seed(ctx, tx)
	})
}
