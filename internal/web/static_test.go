package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// TestAssets: the current hash is cached for a year, a stale one is served
// uncached, an unknown name is a 404, the type follows the extension and
// the hash is the ETag (a revalidation is a 304).
func TestAssets(t *testing.T) {
	fsys := fstest.MapFS{
		"static/app.js":      {Data: []byte("console.log(1)")},
		"static/css/app.css": {Data: []byte("body{}")},
		"other/secret.txt":   {Data: []byte("not served")},
	}
	a := NewAssets(fsys, "static", "/s/")
	get := func(path string, h http.Header) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for k, v := range h {
			req.Header[k] = v
		}
		w := httptest.NewRecorder()
		a.ServeHTTP(w, req)
		return w
	}
	js := a.URL("app.js")
	if !strings.HasPrefix(js, "/s/") || !strings.HasSuffix(js, "/app.js") || len(js) != len("/s/")+12+len("/app.js") {
		t.Fatalf("URL %q", js)
	}
	for _, c := range []struct {
		name, path, cache, ctype, body string
	}{
		{"OK", js, "public, max-age=31536000, immutable", "text/javascript; charset=utf-8", "console.log(1)"},
		{"OKNested", a.URL("css/app.css"), "public, max-age=31536000, immutable", "text/css; charset=utf-8", "body{}"},
		{"StaleHash", "/s/000000000000/app.js", "no-cache", "text/javascript; charset=utf-8", "console.log(1)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := get(c.path, nil)
			if w.Code != 200 || w.Header().Get("Cache-Control") != c.cache || w.Header().Get("Content-Type") != c.ctype || w.Body.String() != c.body {
				t.Fatalf("%s: %d %v %q", c.path, w.Code, w.Header(), w.Body.String())
			}
		})
	}
	for _, path := range []string{"/s/x/missing.js", "/s/x/", "/s/x/../other/secret.txt", "/s/" + strings.TrimPrefix(js, "/s/")[:12]} {
		if w := get(path, http.Header{"Accept": {"application/json"}}); w.Code != 404 || strings.Contains(w.Body.String(), "not served") {
			t.Errorf("%s: %d %q, want 404", path, w.Code, w.Body.String())
		}
	}
	etag := get(js, nil).Header().Get("ETag")
	if w := get(js, http.Header{"If-None-Match": {etag}}); etag == "" || w.Code != http.StatusNotModified {
		t.Errorf("revalidation with ETag %q: %d, want 304", etag, w.Code)
	}
}
