package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/doithoai/doithoai/internal/localserver"
)

// Report is what a check found.
type Report struct {
	Backups []BackupInfo
	// Set when the check restored into a scratch directory:
	Restored  bool
	RestoreIn time.Duration // restore plus recovery until the server answered
	Migration int64         // the schema version of the restored database
	Items     int64         // moderation items in the restored database
}

// Check proves the stanza's backups restorable: pgBackRest's check (WAL
// reaches the repository) and verify (every file's checksum), at least one
// backup, and, when scratch is given, a real restore of the latest backup
// and the archived WAL into scratch, a server started on it (loopback,
// no archiving) and the suite's database queried. scratch must be empty or
// missing; it is removed afterwards.
func Check(ctx context.Context, t Tool, scratch, dbName string) (Report, error) {
	var r Report
	if scratch != "" { // bad input before any work: nothing of the caller's is touched
		if err := emptyDir(scratch); err != nil {
			return r, err
		}
	}
	if err := t.Check(ctx); err != nil {
		return r, err
	}
	if err := t.Verify(ctx); err != nil {
		return r, err
	}
	var err error
	if r.Backups, err = t.Info(ctx); err != nil {
		return r, err
	}
	if len(r.Backups) == 0 {
		return r, errors.New("backup check: the repository holds no backup yet (run `pgbackrest backup --type=full`)")
	}
	if scratch == "" {
		return r, nil
	}
	defer os.RemoveAll(scratch)
	start := time.Now()
	pgData := filepath.Join(scratch, "pg")
	if err := os.MkdirAll(pgData, 0o700); err != nil {
		return r, fmt.Errorf("backup check: %w", err)
	}
	if err := chown(t, scratch, pgData); err != nil {
		return r, err
	}
	if err := t.Restore(ctx, RestoreOptions{PGData: pgData, ArchiveOff: true}); err != nil {
		return r, err
	}
	if err := scratchConfig(t, pgData); err != nil {
		return r, err
	}
	pg, err := localserver.StartPostgres(ctx, localserver.PostgresOptions{Dir: scratch,
		Settings: []string{"archive_mode=off", "hba_file=" + filepath.Join(pgData, "pg_hba.conf")}})
	if err != nil {
		return r, fmt.Errorf("backup check: start the restored cluster: %w", err)
	}
	defer pg.Stop()
	c, err := pgx.Connect(ctx, pg.URL(dbName))
	if err != nil {
		return r, fmt.Errorf("backup check: connect to the restored %s: %w", dbName, err)
	}
	defer c.Close(ctx)
	// Queries only answer once recovery has ended, so the time includes it.
	if err := c.QueryRow(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&r.Migration); err != nil {
		return r, fmt.Errorf("backup check: query the restored schema: %w", err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM moderation_items`).Scan(&r.Items); err != nil {
		return r, fmt.Errorf("backup check: query the restored queue: %w", err)
	}
	r.Restored, r.RestoreIn = true, time.Since(start)
	return r, nil
}

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("backup check: scratch directory: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("backup check: scratch directory %s is not empty", dir)
	}
	return nil
}

func chown(t Tool, paths ...string) error {
	if t.Cred == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(t.Cred.Uid), int(t.Cred.Gid)); err != nil {
			return fmt.Errorf("backup check: %w", err)
		}
	}
	return nil
}

// scratchConfig lets the scratch server start whatever the source's
// configuration was: Debian keeps postgresql.conf and pg_hba.conf in /etc,
// not in the data directory, and the source's pg_hba may ask passwords.
// The scratch server listens on loopback only, so trust is safe there.
func scratchConfig(t Tool, pgData string) error {
	conf := filepath.Join(pgData, "postgresql.conf")
	if _, err := os.Stat(conf); errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(conf, nil, 0o600); err != nil {
			return fmt.Errorf("backup check: %w", err)
		}
	}
	hba := filepath.Join(pgData, "pg_hba.conf")
	if err := os.WriteFile(hba, []byte("local all all trust\nhost all all 127.0.0.1/32 trust\n"), 0o600); err != nil {
		return fmt.Errorf("backup check: %w", err)
	}
	return chown(t, conf, hba)
}
