package localserver

import (
	"os"
	"path/filepath"
	"testing"
)

// make run keeps its cluster in .data/postgres of the checkout; on a fresh
// checkout under the temp directory .data does not exist yet, which must
// not stop the walk up the parents (it did: "stat …/.data: no such file").
func TestMakeTraversableWithParentsNotYetMade(t *testing.T) {
	root, err := os.MkdirTemp("", "checkout-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(root)
	if err := os.Chmod(root, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := makeTraversable(filepath.Join(root, ".data", "postgres")); err != nil {
		t.Fatalf("makeTraversable: %v", err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o001 == 0 {
		t.Fatalf("%s is %v: the server user cannot enter it", root, fi.Mode().Perm())
	}
}
