package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/go-chi/chi/v5"
)

//go:embed static
var staticFS embed.FS

// assets maps a file name under static/ to its content hash; URLs carry the
// hash so a file can be cached for a year and still change on deploy.
var assets = func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := staticFS.ReadFile(p)
		sum := sha256.Sum256(data)
		m[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	return m
}()

// AssetURL returns the cache-busting URL of a static file.
func AssetURL(name string) string {
	return "/static/" + assets[name] + "/" + name
}

// StaticHandler serves /static/{hash}/{name}; a stale hash still gets the
// current file, only without the long cache lifetime.
func StaticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hash := chi.URLParam(r, "hash")
		name := chi.URLParam(r, "*")
		if assets[name] == hash {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + path.Clean(name)
		files.ServeHTTP(w, r2)
	})
}
