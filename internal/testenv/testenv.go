// Package testenv gives tests real PostgreSQL and Redis servers.
//
// A package's TestMain calls Main, which starts a throwaway PostgreSQL
// (initdb + postgres from the machine's binaries, fsync off, in a temp dir)
// and a redis-server, once per test binary — unless DATABASE_URL / REDIS_URL
// name servers to use instead. It migrates a template database once; NewDB
// hands each test its own clone, so tests run in parallel without seeing
// each other's rows. A missing server binary fails the run with the command
// that installs it: tests never skip silently.
package testenv

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/localserver"
	"github.com/doithoai/doithoai/migrations"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const templateDB = "doithoai_template"

var (
	adminURL  string // URL of a database to run CREATE DATABASE from
	redisURL  string
	createMu  sync.Mutex // CREATE DATABASE … TEMPLATE needs the template idle
	dbCounter atomic.Int64
	runID     = fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
)

// Main starts the servers, runs the tests and stops the servers.
func Main(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "doithoai-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	defer func() { // the devsmtp binary SMTP built, if a test asked for it
		if devsmtpBin != "" {
			os.RemoveAll(filepath.Dir(devsmtpBin))
		}
	}()

	if u := os.Getenv("DATABASE_URL"); u != "" {
		adminURL = u
	} else {
		pg, err := localserver.StartPostgres(ctx, localserver.PostgresOptions{Dir: dir + "/pg", SharedBuffers: "32MB"})
		if err != nil {
			return 0, err
		}
		defer pg.Stop()
		adminURL = pg.URL("postgres")
	}
	if u := os.Getenv("REDIS_URL"); u != "" {
		redisURL = u
	} else {
		rs, err := localserver.StartRedis(ctx, dir+"/redis", 0)
		if err != nil {
			return 0, err
		}
		defer rs.Stop()
		redisURL = rs.URL()
	}
	if err := createTemplate(ctx); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

func createTemplate(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	name := templateDB + "_" + runID
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	tmplURL := withDB(adminURL, name)
	if _, err := db.Migrate(ctx, tmplURL, migrations.FS, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		return err
	}
	return nil
}

func withDB(u, name string) string {
	p, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	p.Path = "/" + name
	return p.String()
}

// NewDBURL creates a fresh, migrated database for t and returns its URL. It
// is dropped when t ends.
func NewDBURL(t testing.TB) string {
	t.Helper()
	if adminURL == "" {
		t.Fatal("testenv: call testenv.Main(m) from this package's TestMain")
	}
	ctx := context.Background()
	name := fmt.Sprintf("t_%s_%d", runID, dbCounter.Add(1))
	createMu.Lock()
	conn, err := pgx.Connect(ctx, adminURL)
	if err == nil {
		_, err = conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s_%s", name, templateDB, runID))
		conn.Close(ctx)
	}
	createMu.Unlock()
	if err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return withDB(adminURL, name)
}

// NewDB returns a pool on a fresh, migrated database for t.
func NewDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := db.Open(context.Background(), NewDBURL(t))
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// RedisURL is the URL of the test Redis.
func RedisURL(t testing.TB) string {
	t.Helper()
	if redisURL == "" {
		t.Fatal("testenv: call testenv.Main(m) from this package's TestMain")
	}
	return redisURL
}

// RedisPrefix is a key and channel prefix unique to t, so tests sharing the
// Redis server never see each other's data.
func RedisPrefix(t testing.TB) string {
	return fmt.Sprintf("test:%s:%d:%s:", runID, dbCounter.Add(1), strings.ReplaceAll(t.Name(), "/", "_"))
}

// Logger is a logger that writes to t's log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
