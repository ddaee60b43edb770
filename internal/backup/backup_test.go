package backup

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A scratch directory that holds anything is refused before pgBackRest
// runs, and what it holds stays: the check never deletes an operator's files.
func TestCheckRefusesNonEmptyScratch(t *testing.T) {
	scratch := t.TempDir()
	keep := filepath.Join(scratch, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Check(context.Background(), Tool{ConfigPath: "/nonexistent.conf", Stanza: "x"}, scratch, "doithoai")
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("Check with a non-empty scratch: %v, want a 'not empty' error", err)
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Fatalf("the scratch directory's file was touched: %q, %v", b, err)
	}
}

func TestBackupRejectsUnknownKind(t *testing.T) {
	err := Tool{ConfigPath: "/nonexistent.conf", Stanza: "x"}.Backup(context.Background(), "weekly")
	if err == nil || !strings.Contains(err.Error(), `unknown kind "weekly"`) {
		t.Fatalf("Backup(weekly): %v", err)
	}
}

// The rendered configuration names the stanza, the repository with its
// retention, and the cluster; the archive command pushes to that stanza.
func TestRender(t *testing.T) {
	c := Config{Stanza: "doithoai", RepoPath: "/repo", PGData: "/pg", PGPort: 5433, RetentionFull: 2, RetentionDiff: 6}
	text := c.Render()
	for _, want := range []string{"[global]\n", "repo1-path=/repo\n", "repo1-retention-full=2\n", "repo1-retention-diff=6\n",
		"\n[doithoai]\n", "pg1-path=/pg\n", "pg1-port=5433\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("config lacks %q:\n%s", want, text)
		}
	}
	if got := ArchiveCommand("/etc/p.conf", "doithoai"); got != "pgbackrest --config=/etc/p.conf --stanza=doithoai archive-push %p" {
		t.Errorf("archive_command = %q", got)
	}
}
