// Command devstack is what `make run` runs: it brings up a local PostgreSQL
// under ./.data (kept between runs), Redis when installed, migrates, seeds
// demo data and runs `doithoai serve` with the matching environment, then
// stops everything on Ctrl-C. It is a development convenience, not a
// deployment tool.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/doithoai/doithoai/internal/localserver"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func run() error {
	bin := flag.String("bin", "bin/doithoai", "doithoai binary")
	dataDir := flag.String("data", ".data", "where the local PostgreSQL and Redis keep their files")
	pgPort := flag.Int("pg-port", 55432, "local PostgreSQL port")
	redisPort := flag.Int("redis-port", 56379, "local Redis port")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	abs, err := filepath.Abs(*dataDir)
	if err != nil {
		return err
	}
	pgDir, moved, err := localserver.ClusterDir(filepath.Join(abs, "postgres"))
	if err != nil {
		return err
	}
	if moved {
		fmt.Printf("the postgres user cannot enter %s: the cluster is kept in %s instead\n", abs, pgDir)
	}
	fmt.Println("starting PostgreSQL in", pgDir)
	pg, err := localserver.StartPostgres(ctx, localserver.PostgresOptions{Dir: pgDir, Port: *pgPort, Durable: true})
	if err != nil {
		return err
	}
	defer pg.Stop()
	env := append(os.Environ(), "DATABASE_URL="+pg.URL("postgres"), "DATA_DIR="+filepath.Join(abs, "files"))
	rs, err := localserver.StartRedis(ctx, filepath.Join(abs, "redis"), *redisPort)
	switch {
	case err == nil:
		defer rs.Stop()
		env = append(env, "REDIS_URL="+rs.URL())
		fmt.Println("Redis on", rs.URL())
	case errors.Is(err, localserver.ErrNoRedis):
		fmt.Println("redis-server not installed: running as a single node with in-process fan-out")
	default:
		return err
	}
	for _, step := range [][]string{{"migrate"}, {"seed", "--demo"}} {
		if err := runStep(ctx, *bin, env, step...); err != nil {
			return err
		}
	}
	fmt.Print(`
Đối Thoại is running:
  forum           http://localhost:8080/
  console         http://localhost:8080/console   (moderator / admin accounts above)
  dashboard       http://localhost:8080/dashboard (leader / admin)
  live dialogues  http://localhost:8080/giao-luu
  hotline         sip:1022@127.0.0.1:5060 (UDP and TCP)
  agent phone     register sip:modvien@127.0.0.1:5060 with modvien's sip-secret above
                  (baresip: <sip:modvien@127.0.0.1:5060>;auth_pass=SECRET;regint=300)
  metrics         http://127.0.0.1:9090/metrics (METRICS_ADDR; not on the public address)
Press Ctrl-C to stop.
`)
	serve := exec.CommandContext(ctx, *bin, "serve")
	serve.Env, serve.Stdout, serve.Stderr = env, os.Stdout, os.Stderr
	serve.Cancel = func() error { return serve.Process.Signal(syscall.SIGTERM) }
	if err := serve.Run(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func runStep(ctx context.Context, bin string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("doithoai %v: %w", args, err)
	}
	return nil
}
