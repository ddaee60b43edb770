// Command benchrestore measures README's backup and restore figures on a
// database of the benchmark's size: it starts PostgreSQL on an existing
// cluster directory (as `benchforum -keep` leaves it) with WAL archiving to
// a pgBackRest repository, takes a full backup, and then runs what
// `doithoai backup check --restore-to` runs: check, verify, a restore into
// a scratch directory, the server started on it, the database queried.
//
//	go run ./cmd/benchforum -keep -dir /var/tmp/bench -only search -queries 1
//	go run ./cmd/benchrestore -cluster /var/tmp/bench/postgres
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/doithoai/doithoai/internal/backup"
	"github.com/doithoai/doithoai/internal/localserver"
)

func main() {
	cluster := flag.String("cluster", "", "localserver cluster directory holding pg/ (benchforum -keep's DIR/postgres)")
	dbName := flag.String("db", "bench", "database to count questions in")
	work := flag.String("work", "", "where the repository and scratch go (default: a temporary directory, removed)")
	processMax := flag.Int("process-max", 2, "pgBackRest process-max")
	flag.Parse()
	if *cluster == "" {
		fmt.Fprintln(os.Stderr, "benchrestore: -cluster is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *cluster, *dbName, *work, *processMax); err != nil {
		fmt.Fprintln(os.Stderr, "benchrestore:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cluster, dbName, work string, processMax int) error {
	if work == "" {
		tmp, err := os.MkdirTemp("", "benchrestore-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		work = tmp
	}
	if err := os.MkdirAll(work, 0o750); err != nil {
		return err
	}
	port, err := localserver.FreePort()
	if err != nil {
		return err
	}
	conf := filepath.Join(work, "pgbackrest.conf")
	cfg := backup.Config{Stanza: "bench", RepoPath: filepath.Join(work, "repo"), PGData: filepath.Join(cluster, "pg"),
		PGPort: port, PGSocketDir: filepath.Join(cluster, "sock"), RetentionFull: 1, ProcessMax: processMax,
		LogPath: filepath.Join(work, "log"), LockPath: filepath.Join(work, "lock")}
	if err := os.WriteFile(conf, []byte(cfg.Render()), 0o644); err != nil {
		return err
	}
	pg, err := localserver.StartPostgres(ctx, localserver.PostgresOptions{Dir: cluster, Port: port,
		Settings: backup.ServerSettings(conf, "bench")})
	if err != nil {
		return err
	}
	defer pg.Stop()
	tool := backup.Tool{ConfigPath: conf, Stanza: "bench", Cred: pg.Credential()}
	for _, p := range []string{work, cfg.RepoPath, cfg.LogPath, cfg.LockPath} {
		if err := os.MkdirAll(p, 0o750); err != nil {
			return err
		}
		if c := tool.Cred; c != nil {
			if err := os.Chown(p, int(c.Uid), int(c.Gid)); err != nil {
				return err
			}
		}
	}
	c, err := pgx.Connect(ctx, pg.URL(dbName))
	if err != nil {
		return err
	}
	var questions int64
	var size string
	err = c.QueryRow(ctx, `SELECT (SELECT count(*) FROM forum_questions), pg_size_pretty(pg_database_size(current_database()))`).Scan(&questions, &size)
	c.Close(ctx)
	if err != nil {
		return err
	}
	if err := tool.StanzaCreate(ctx); err != nil {
		return err
	}
	start := time.Now()
	if err := tool.Backup(ctx, "full"); err != nil {
		return err
	}
	backupTook := time.Since(start)
	r, err := backup.Check(ctx, tool, filepath.Join(work, "scratch"), dbName)
	if err != nil {
		return err
	}
	last := r.Backups[len(r.Backups)-1]
	fmt.Printf("questions: %d (database %s, cluster %.1f MB)\n", questions, size, float64(last.Size)/1e6)
	fmt.Printf("full backup: %s, %.1f MB in the repository (zstd)\n", backupTook.Round(time.Second), float64(last.Repo)/1e6)
	fmt.Printf("after check and verify, restore + recovery + server up + query: %s (%d moderation items)\n", r.RestoreIn.Round(time.Second), r.Items)
	return nil
}
