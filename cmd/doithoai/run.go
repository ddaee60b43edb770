package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/doithoai/doithoai/internal/config"
)

const usage = `usage: doithoai <command> [flags]

commands:
  serve                  run the HTTP server and the SIP hotline
  migrate                apply database migrations
  seed [--demo]          add the categories and demo accounts (idempotent; prints demo staff passwords);
                         --demo also a living demo: questions, replies, dialogues, calls, a chat, directives
  user create --role citizen|moderator|leader|admin --login L --password-stdin [--sip] [--name N]
  user sip-secret --login L   new SIP secret for an agent (printed once; the old one stops working)
  backup check [--restore-to DIR]   prove the pgBackRest repository restorable (README, Backup and restore)

configuration is read from the environment; see README.md`

// run is the whole program behind main, so tests can call it with their own
// arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprintln(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[1], args[2:]
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	if cmd == "backup" {
		return backupCommand(ctx, rest, getenv, stdout, stderr)
	}
	fs := flag.NewFlagSet("doithoai "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	// Flags mirror the most used environment variables and win over them.
	overrides := map[string]*string{
		"DATABASE_URL": fs.String("database-url", "", "PostgreSQL URL (DATABASE_URL)"),
		"REDIS_URL":    fs.String("redis-url", "", "Redis URL (REDIS_URL)"),
		"HTTP_ADDR":    fs.String("http-addr", "", "HTTP listen address (HTTP_ADDR)"),
		"SIP_ADDR":     fs.String("sip-addr", "", "SIP listen address (SIP_ADDR)"),
		"DATA_DIR":     fs.String("data-dir", "", "data directory (DATA_DIR)"),
	}
	var uc userCommand
	var withDemo *bool
	if cmd == "seed" {
		withDemo = fs.Bool("demo", false, "also add the living demo (once; a second seed adds nothing)")
	}
	if cmd == "user" {
		var err error
		if rest, err = uc.register(fs, rest); err != nil {
			return err
		}
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	env := func(key string) string {
		if p, ok := overrides[key]; ok && *p != "" {
			return *p
		}
		return getenv(key)
	}
	cfg, err := config.Load(env)
	if err != nil {
		return fmt.Errorf("configuration:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log, listeners{})
	case "migrate":
		return migrate(ctx, cfg, log, stdout)
	case "seed":
		return seed(ctx, cfg, log, stdout, *withDemo)
	case "user":
		return uc.run(ctx, cfg, stdin, stdout)
	default:
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
