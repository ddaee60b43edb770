// Command testservers runs a command with DATABASE_URL and REDIS_URL set to
// a throwaway PostgreSQL and Redis that it starts first and stops after.
// internal/testenv uses servers named that way instead of starting its own,
// so many test processes share one pair: scripts/fuzz.sh runs a test binary
// per fuzz target, twice over (the coordinator and its worker), and starting
// PostgreSQL for each would take most of a short fuzzing run.
//
//	go run ./cmd/testservers ./scripts/fuzz.sh
//
// When both variables are already set, the command runs as it is.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/doithoai/doithoai/internal/localserver"
)

func main() {
	code, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "testservers:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(args []string) (int, error) {
	if len(args) == 0 {
		return 0, errors.New("usage: testservers command [args...]")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := os.Environ()
	if os.Getenv("DATABASE_URL") == "" || os.Getenv("REDIS_URL") == "" {
		dir, err := os.MkdirTemp("", "doithoai-testservers-")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(dir)
		pg, err := localserver.StartPostgres(ctx, localserver.PostgresOptions{Dir: dir + "/pg", SharedBuffers: "32MB"})
		if err != nil {
			return 0, err
		}
		defer pg.Stop()
		rs, err := localserver.StartRedis(ctx, dir+"/redis", 0)
		if err != nil {
			return 0, err
		}
		defer rs.Stop()
		env = append(env, "DATABASE_URL="+pg.URL("postgres"), "REDIS_URL="+rs.URL())
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	return 0, err
}
