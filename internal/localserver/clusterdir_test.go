package localserver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// make run as root from a checkout under /root: the postgres user cannot
// enter the checkout, and initdb failed "Permission denied". ClusterDir
// must name a directory where the cluster starts, and the same one again
// on the next run (the demo data is kept).
func TestClusterDirUnreachableParent(t *testing.T) {
	// Not under the temp directory (makeTraversable opens those): next to
	// the test, like a checkout in a home directory, or in /var/tmp when
	// the checkout itself is under the temp directory (a clone in /tmp).
	base, _ := filepath.Abs(".")
	if tmp := filepath.Clean(os.TempDir()); strings.HasPrefix(base, tmp+string(filepath.Separator)) {
		base = "/var/tmp"
		if strings.HasPrefix(base, tmp+string(filepath.Separator)) || base == tmp {
			t.Fatalf("no directory outside the temp directory %s to play a home directory in", tmp)
		}
	}
	parent, err := os.MkdirTemp(base, "home-")
	if err != nil {
		t.Fatal(err)
	}
	parent, _ = filepath.Abs(parent)
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(parent, "checkout", ".data", "postgres")
	dir, moved, err := ClusterDir(want)
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// The failure it fixes, first: the cluster where it was asked for.
		if pg, err := StartPostgres(context.Background(), PostgresOptions{Dir: want}); err == nil {
			pg.Stop()
			t.Fatalf("PostgreSQL started under %s (0700, root's): the test does not reproduce the case", parent)
		} else if !strings.Contains(err.Error(), "ermission denied") {
			t.Fatalf("start under an unreachable parent: %v, want a permission error", err)
		}
		if !moved || strings.HasPrefix(dir, parent) {
			t.Fatalf("ClusterDir(%s) = %s, moved %v: still under the unreachable parent", want, dir, moved)
		}
		t.Cleanup(func() { os.RemoveAll(filepath.Dir(dir)) })
	} else if moved || dir != want {
		t.Fatalf("not root: ClusterDir(%s) = %s, moved %v; the server runs as us and reaches it", want, dir, moved)
	}
	again, _, err := ClusterDir(want)
	if err != nil || again != dir {
		t.Fatalf("second run: %s %v, want the same %s", again, err, dir)
	}
	pg, err := StartPostgres(context.Background(), PostgresOptions{Dir: dir})
	if err != nil {
		t.Fatalf("start in %s: %v", dir, err)
	}
	defer pg.Stop()
	if _, err := os.Stat(filepath.Join(dir, "pg", "PG_VERSION")); err != nil {
		t.Fatalf("no cluster in %s: %v", dir, err)
	}
}
