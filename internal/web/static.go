package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// Assets serves a tree of static files under content-hashed URLs
// (prefix + hash + "/" + name), so that a file can be cached for a year and
// still change on deploy. Every package with static files of its own
// (internal/web's layout assets, livechat's client) uses one.
type Assets struct {
	prefix string
	fsys   fs.FS
	hashes map[string]string // file name (slash-separated, under the root) → hash; read-only once built
}

// NewAssets hashes every file under root in fsys; URLs start with prefix
// (e.g. "/static/").
func NewAssets(fsys fs.FS, root, prefix string) *Assets {
	sub, err := fs.Sub(fsys, root)
	if err != nil {
		panic("web.NewAssets: " + err.Error()) // an embed path: a build mistake
	}
	a := &Assets{prefix: prefix, fsys: sub, hashes: map[string]string{}}
	_ = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		a.hashes[p] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	return a
}

// URL returns the cache-busting URL of the file name.
func (a *Assets) URL(name string) string { return a.prefix + a.hashes[name] + "/" + name }

// ServeHTTP serves GET prefix{hash}/{name}. A stale hash still gets the
// current file, only without the long cache lifetime (a page cached before
// a deploy keeps working); a name not in the tree is the site's 404 page.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hash, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, a.prefix), "/")
	want, ok := a.hashes[name]
	if !ok {
		NotFound(w, r)
		return
	}
	data, err := fs.ReadFile(a.fsys, name)
	if err != nil {
		Error(w, r, err)
		return
	}
	if hash == want {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+want+`"`)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

// assets are the layout's files (static/ of this package).
var assets = NewAssets(staticFS, "static", "/static/")

// AssetURL returns the cache-busting URL of one of the layout's files.
func AssetURL(name string) string { return assets.URL(name) }

// StaticHandler serves the layout's files at /static/{hash}/{name}.
func StaticHandler() http.Handler { return assets }
