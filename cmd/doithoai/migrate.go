package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/doithoai/doithoai/internal/config"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/migrations"
)

// migrate applies pending migrations; safe to run twice or from several
// nodes at once (db.Migrate holds an advisory lock).
func migrate(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	n, err := db.Migrate(ctx, cfg.DatabaseURL, migrations.FS, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrations applied: %d\n", n)
	return nil
}
