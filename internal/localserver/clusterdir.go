package localserver

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ClusterDir is where StartPostgres can keep a cluster that want names.
// As root the server runs as the "postgres" (or "nobody") user, which must
// be able to enter every parent of the data directory: a checkout under
// /root (0700) is out of its reach and initdb fails "Permission denied".
// Then the cluster goes to a directory of its own under /var/tmp (or the
// system temp directory), named after want so that the same checkout finds
// the same cluster on the next run; moved tells the caller to say where.
// Parents under the temp directory are not a reason to move:
// StartPostgres makes them traversable.
func ClusterDir(want string) (dir string, moved bool, err error) {
	abs, err := filepath.Abs(want)
	if err != nil {
		return "", false, fmt.Errorf("localserver.ClusterDir: %w", err)
	}
	if os.Geteuid() != 0 {
		return abs, false, nil // the server runs as us: it reaches what we reach
	}
	cred, err := unprivileged()
	if err != nil {
		return "", false, fmt.Errorf("localserver.ClusterDir: %w", err)
	}
	if tmp := filepath.Clean(os.TempDir()); strings.HasPrefix(abs, tmp+string(filepath.Separator)) {
		return abs, false, nil
	}
	ok, err := reachable(abs, cred)
	if err != nil {
		return "", false, fmt.Errorf("localserver.ClusterDir: %w", err)
	}
	if ok {
		return abs, false, nil
	}
	sum := sha256.Sum256([]byte(abs))
	base := "/var/tmp"
	if fi, err := os.Stat(base); err != nil || !fi.IsDir() {
		base = os.TempDir()
	}
	return filepath.Join(base, "doithoai-"+hex.EncodeToString(sum[:6]), filepath.Base(abs)), true, nil
}

// reachable reports whether cred may search (enter) every existing parent
// of dir. Parents not made yet will be made 0755 and are fine.
// Supplementary groups are not considered: a wrong "no" only moves the
// cluster, a wrong "yes" would fail initdb.
func reachable(dir string, cred *syscall.Credential) (bool, error) {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return false, err
		default:
			st, _ := fi.Sys().(*syscall.Stat_t)
			perm := fi.Mode().Perm()
			var bit fs.FileMode = 0o001
			if st != nil && st.Uid == cred.Uid {
				bit = 0o100
			} else if st != nil && st.Gid == cred.Gid {
				bit = 0o010
			}
			if perm&bit == 0 {
				return false, nil
			}
		}
		if d == filepath.Dir(d) {
			return true, nil
		}
	}
}
