// Package backup drives pgBackRest, the well-kept tool that archives the
// suite's PostgreSQL continuously (full, differential and incremental backups
// plus every WAL segment) so that a cluster can be restored to any point in
// time. We keep no dump format of our own: this package only renders the
// repository configuration, runs the tool, and proves a backup restorable by
// restoring it into a scratch directory and querying it.
package backup

import (
	"fmt"
	"strings"
)

// Config is one pgBackRest stanza and its repository.
type Config struct {
	Stanza        string // e.g. "doithoai"
	RepoPath      string // repo1-path: where backups and WAL are kept
	PGData        string // pg1-path: the cluster's data directory
	PGPort        int    // pg1-port
	PGSocketDir   string // pg1-socket-path
	RetentionFull int    // full backups kept (and the WAL they need)
	RetentionDiff int    // differential backups kept
	LogPath       string // log-path; "" = pgBackRest's default
	LockPath      string // lock-path; "" = pgBackRest's default
	ProcessMax    int    // parallel processes for backup and restore; 0 = 1
}

// Render is the pgbackrest.conf text for c.
func (c Config) Render() string {
	var b strings.Builder
	line := func(k string, v any) { fmt.Fprintf(&b, "%s=%v\n", k, v) }
	b.WriteString("[global]\n")
	line("repo1-path", c.RepoPath)
	line("repo1-retention-full", max(c.RetentionFull, 1))
	if c.RetentionDiff > 0 {
		line("repo1-retention-diff", c.RetentionDiff)
	}
	// zstd: fast on small machines and well compressed; start-fast asks
	// PostgreSQL for an immediate checkpoint instead of waiting for one.
	line("compress-type", "zst")
	line("start-fast", "y")
	line("process-max", max(c.ProcessMax, 1))
	if c.LogPath != "" {
		line("log-path", c.LogPath)
	}
	if c.LockPath != "" {
		line("lock-path", c.LockPath)
	}
	line("log-level-console", "warn")
	fmt.Fprintf(&b, "\n[%s]\n", c.Stanza)
	line("pg1-path", c.PGData)
	if c.PGPort != 0 {
		line("pg1-port", c.PGPort)
	}
	if c.PGSocketDir != "" {
		line("pg1-socket-path", c.PGSocketDir)
	}
	return b.String()
}

// ServerSettings are the PostgreSQL settings that send every finished WAL
// segment to the repository (postgresql.conf, or -c for a test cluster).
// archive_timeout bounds how much a lost server can take with it when
// writes are few: a segment is switched at least this often.
func ServerSettings(configPath, stanza string) []string {
	return []string{
		"wal_level=replica",
		"archive_mode=on",
		"archive_timeout=60",
		"archive_command=" + ArchiveCommand(configPath, stanza),
	}
}

// ArchiveCommand is the archive_command that pushes one WAL segment.
func ArchiveCommand(configPath, stanza string) string {
	return fmt.Sprintf("pgbackrest --config=%s --stanza=%s archive-push %%p", configPath, stanza)
}
