package testenv

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/localserver"
	"github.com/doithoai/doithoai/migrations"
	"github.com/jackc/pgx/v5"
)

// PrivatePostgres is a PostgreSQL cluster of one test's own, for tests that
// stop and start the server: the shared cluster must stay up for every
// other test of the binary. Its one database is migrated.
type PrivatePostgres struct {
	URL  string // the migrated database, the same across Stop and Start
	opts localserver.PostgresOptions
	pg   *localserver.Postgres
}

// NewPrivatePostgres starts a cluster in t's temporary directory, migrates
// a database on it and stops the cluster when t ends.
func NewPrivatePostgres(t testing.TB) *PrivatePostgres {
	t.Helper()
	ctx := context.Background()
	p := &PrivatePostgres{opts: localserver.PostgresOptions{Dir: filepath.Join(t.TempDir(), "pg"), SharedBuffers: "16MB"}}
	pg, err := localserver.StartPostgres(ctx, p.opts)
	if err != nil {
		t.Fatalf("testenv: private postgres: %v", err)
	}
	p.pg, p.opts.Port = pg, pg.Port
	t.Cleanup(p.Stop)
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err == nil {
		_, err = conn.Exec(ctx, "CREATE DATABASE doithoai")
		conn.Close(ctx)
	}
	if err != nil {
		t.Fatalf("testenv: private postgres: create database: %v", err)
	}
	p.URL = pg.URL("doithoai")
	if _, err := db.Migrate(ctx, p.URL, migrations.FS, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("testenv: private postgres: migrate: %v", err)
	}
	return p
}

// Stop shuts the cluster down and waits for it; safe when already stopped.
func (p *PrivatePostgres) Stop() {
	if p.pg != nil {
		p.pg.Stop()
		p.pg = nil
	}
}

// Start brings the stopped cluster back on the same port and data.
func (p *PrivatePostgres) Start(t testing.TB) {
	t.Helper()
	if p.pg != nil {
		return
	}
	pg, err := localserver.StartPostgres(context.Background(), p.opts)
	if err != nil {
		t.Fatalf("testenv: restart private postgres: %v", err)
	}
	p.pg = pg
}
