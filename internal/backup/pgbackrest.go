package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Tool runs pgBackRest for one stanza.
type Tool struct {
	ConfigPath string
	Stanza     string
	// Cred, when set, is the user pgBackRest runs as: the one that runs
	// PostgreSQL, since both write the repository (archive-push runs as the
	// server's user) and the restored data directory must be its own.
	Cred *syscall.Credential
}

// ErrNoTool says pgBackRest is not installed.
var ErrNoTool = errors.New("pgbackrest not found: install it with `apt-get install -y pgbackrest` (scripts/install-deps.sh does)")

// Run runs pgbackrest with the tool's config and stanza and the given
// command and options, returning its output.
func (t Tool) Run(ctx context.Context, command string, opts ...string) (string, error) {
	bin, err := exec.LookPath("pgbackrest")
	if err != nil {
		return "", ErrNoTool
	}
	args := append([]string{"--config=" + t.ConfigPath, "--stanza=" + t.Stanza}, opts...)
	args = append(args, command)
	cmd := exec.CommandContext(ctx, bin, args...)
	if t.Cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: t.Cred}
	}
	cmd.Dir = "/" // the server user may not enter the caller's directory
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("pgbackrest %s: %w\n%s", command, err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// StanzaCreate initialises the repository for the stanza (idempotent).
func (t Tool) StanzaCreate(ctx context.Context) error {
	_, err := t.Run(ctx, "stanza-create")
	return err
}

// Check asks PostgreSQL to switch WAL and waits until the segment is in
// the repository: archive_command works end to end.
func (t Tool) Check(ctx context.Context) error {
	_, err := t.Run(ctx, "check")
	return err
}

// Verify reads every file of the repository and checks its checksum.
func (t Tool) Verify(ctx context.Context) error {
	_, err := t.Run(ctx, "verify")
	return err
}

// Backup takes a backup of kind "full", "diff" or "incr".
func (t Tool) Backup(ctx context.Context, kind string) error {
	switch kind {
	case "full", "diff", "incr":
	default:
		return fmt.Errorf("backup: unknown kind %q (full, diff or incr)", kind)
	}
	_, err := t.Run(ctx, "backup", "--type="+kind)
	return err
}

// BackupInfo is one backup of the stanza, as `pgbackrest info` tells it.
type BackupInfo struct {
	Label string
	Type  string
	Start time.Time
	Stop  time.Time
	Size  int64 // database size in bytes
	Repo  int64 // bytes in the repository (compressed)
}

// Info lists the stanza's backups, oldest first.
func (t Tool) Info(ctx context.Context) ([]BackupInfo, error) {
	out, err := t.Run(ctx, "info", "--output=json")
	if err != nil {
		return nil, err
	}
	var stanzas []struct {
		Backup []struct {
			Label     string
			Type      string
			Timestamp struct{ Start, Stop int64 }
			Info      struct {
				Size       int64
				Repository struct{ Delta int64 }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &stanzas); err != nil {
		return nil, fmt.Errorf("pgbackrest info: %w", err)
	}
	var list []BackupInfo
	for _, s := range stanzas {
		for _, b := range s.Backup {
			list = append(list, BackupInfo{Label: b.Label, Type: b.Type,
				Start: time.Unix(b.Timestamp.Start, 0), Stop: time.Unix(b.Timestamp.Stop, 0),
				Size: b.Info.Size, Repo: b.Info.Repository.Delta})
		}
	}
	return list, nil
}

// RestoreOptions says where and to which point a restore goes.
type RestoreOptions struct {
	PGData string // an empty (or missing) directory; the cluster is written there
	// Target, when set, is the point in time to recover to (PITR); the
	// first transaction committed after it is not replayed. Zero recovers
	// to the end of the archived WAL.
	Target time.Time
	// ArchiveOff keeps the restored server from archiving into the same
	// repository: a scratch copy must never push WAL of its own.
	ArchiveOff bool
}

// Restore writes the latest backup that precedes the target into PGData
// and the recovery settings that replay the archived WAL up to the target.
func (t Tool) Restore(ctx context.Context, o RestoreOptions) error {
	opts := []string{"--pg1-path=" + o.PGData}
	if !o.Target.IsZero() {
		opts = append(opts, "--type=time", "--target="+o.Target.UTC().Format("2006-01-02 15:04:05.999999-07"),
			"--target-action=promote")
	}
	if o.ArchiveOff {
		opts = append(opts, "--archive-mode=off")
	}
	_, err := t.Run(ctx, "restore", opts...)
	return err
}
