package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"syscall"

	"github.com/doithoai/doithoai/internal/backup"
)

// backupCommand is `doithoai backup check`: it proves the pgBackRest
// repository restorable (README, "Backup and restore"). It needs no
// DATABASE_URL: pgBackRest reaches the server through its own config.
func backupCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return errors.New("usage: doithoai backup check [--config F] [--stanza S] [--restore-to DIR] [--database D]")
	}
	fs := flag.NewFlagSet("doithoai backup check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conf := fs.String("config", envOr(getenv, "PGBACKREST_CONFIG", "/etc/pgbackrest/pgbackrest.conf"), "pgBackRest configuration (PGBACKREST_CONFIG)")
	stanza := fs.String("stanza", envOr(getenv, "PGBACKREST_STANZA", "doithoai"), "pgBackRest stanza (PGBACKREST_STANZA)")
	scratch := fs.String("restore-to", "", "also restore the latest backup and WAL into this empty directory, start it and query it")
	dbName := fs.String("database", "doithoai", "the suite's database name, queried after a restore")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	tool := backup.Tool{ConfigPath: *conf, Stanza: *stanza}
	if os.Geteuid() == 0 {
		// The repository and a restored cluster belong to the server's user.
		cred, err := postgresUser()
		if err != nil {
			return err
		}
		tool.Cred = cred
	}
	r, err := backup.Check(ctx, tool, *scratch, *dbName)
	if err != nil {
		return err
	}
	last := r.Backups[len(r.Backups)-1]
	fmt.Fprintf(stdout, "backup check: archive and repository OK; %d backups, latest %s (%s, %s)\n",
		len(r.Backups), last.Label, last.Type, last.Stop.UTC().Format("2006-01-02 15:04:05Z"))
	if r.Restored {
		fmt.Fprintf(stdout, "restore: OK in %s; schema version %d, %d moderation items\n",
			r.RestoreIn.Round(100_000_000), r.Migration, r.Items)
	}
	return nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("backup check as root: %w (run it as the PostgreSQL server's user)", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
