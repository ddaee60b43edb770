package layout

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/doithoai/doithoai"

// channels are the domains citizens reach; they meet only in moderation.
var channels = []string{"forum", "livechat", "callcenter"}

// domains are the top-level packages with a product's rules in them.
var domains = append([]string{"moderation"}, channels...)

// top is the first element of a module-relative package path ("forum" for
// "forum/templates"), or "" for a path outside the module.
func top(importPath string) string {
	rel, ok := strings.CutPrefix(importPath, module+"/")
	if !ok {
		return ""
	}
	first, _, _ := strings.Cut(rel, "/")
	return first
}

const channelRule = "a channel imports no other channel (they meet in moderation)"

// violation says which rule an import from pkg (module-relative) to
// importPath breaks, or "" when it breaks none.
func violation(pkg, importPath string) string {
	from, to := top(module+"/"+pkg), top(importPath)
	switch {
	case to == "" || to == from:
		return ""
	case from == "internal" && slices.Contains(domains, to):
		return "internal/ imports no domain"
	case slices.Contains(channels, from) && slices.Contains(channels, to):
		return channelRule
	case from == "moderation" && slices.Contains(channels, to):
		return "moderation imports no channel"
	}
	return ""
}

func TestViolation(t *testing.T) {
	for _, c := range []struct {
		pkg, imp string
		broken   bool
	}{
		{"forum", module + "/moderation", false},
		{"forum", module + "/internal/web", false},
		{"livechat", module + "/livechat/internal/x", false},
		{"moderation/feedback", module + "/moderation", false},
		{"cmd/doithoai", module + "/forum", false},
		{"internal/web", "github.com/go-chi/chi/v5", false},
		{"internal/testenv", module + "/migrations", false},
		{"internal/web", module + "/forum", true},
		{"internal/testenv", module + "/moderation/notify", true},
		{"livechat", module + "/forum", true},
		{"callcenter", module + "/livechat", true},
		{"forum/sub", module + "/callcenter", true},
		{"moderation", module + "/forum", true},
		{"moderation/notify", module + "/livechat", true},
	} {
		if got := violation(c.pkg, c.imp) != ""; got != c.broken {
			t.Errorf("%s → %s: broken %v, want %v", c.pkg, c.imp, got, c.broken)
		}
	}
}

// TestImportRules parses the imports of every Go file of the module, tests
// included, and fails on each one that breaks a rule (a channel's tests may
// import another channel to wire it in).
func TestImportRules(t *testing.T) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	var broken []string
	files := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		pkg := filepath.ToSlash(rel)
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			why := violation(pkg, ip)
			if why == channelRule && strings.HasSuffix(p, "_test.go") {
				// A channel's integration test may wire another real
				// channel in, as cmd/doithoai does (the hotline's test of
				// a phone question to a live dialogue runs livechat's
				// real intake); the channel's own code still may not.
				why = ""
			}
			if why != "" {
				broken = append(broken, fmt.Sprintf("%s imports %s: %s", path.Join(pkg, filepath.Base(p)), ip, why))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("parsed %d Go files under %s: not the whole module", files, root)
	}
	sort.Strings(broken)
	for _, b := range broken {
		t.Error(b)
	}
}

// moduleRoot is the directory of go.mod, above this package's.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(data), "module "+module+"\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod of " + module + " not found")
		}
		dir = parent
	}
}
