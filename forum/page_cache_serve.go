package forum

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
)

// RunPageCache keeps this node's page cache in step with the database
// (LISTEN forum_pages) until ctx ends; serve runs it. Until it is
// listening every page is rendered, as without a cache.
func (h *Handlers) RunPageCache(ctx context.Context) {
	if h.pages == nil {
		return
	}
	runPageListener(ctx, h.svc.pool, h.pages, h.svc.log.Warn)
}

// cacheable reports whether r may be answered with the page every
// anonymous visitor shares: a GET of the bare address (no ?done= flash, no
// ?code= of a private question, no ?lang= switch) by no signed-in user.
func (h *Handlers) cacheable(r *http.Request) bool {
	if h.pages == nil || r.Method != http.MethodGet || r.URL.RawQuery != "" {
		return false
	}
	_, signedIn := identity.From(r.Context())
	return !signedIn
}

// serveQuestionCached serves a cacheable question view from the cache, or
// renders it for everyone (no csrf token, no user) and keeps it.
func (h *Handlers) serveQuestionCached(w http.ResponseWriter, r *http.Request) error {
	id, err := questionID(r)
	if err != nil {
		return err
	}
	k := pageKey{id: id, lang: web.TranslatorFrom(r).Lang}
	if p, ok := h.pages.get(k); ok && p.path == r.URL.Path {
		h.svc.CountView(id)
		w.Header().Set("X-Page-Cache", "hit") // for operators (and tests): this view cost no query
		return writeCachedPage(w, r, p)
	}
	epoch, live := h.pages.begin()
	var qp questionPage
	redirect, err := h.loadQuestion(r, &qp)
	if err != nil {
		return err
	}
	if redirect != nil {
		redirect(w)
		return nil
	}
	qp.CSRF = "" // the one per-visitor field of an anonymous page; forms go by origin
	if !live || !qp.Q.Public() || r.URL.Path != qp.Q.Path() {
		return h.render.Render(w, r, http.StatusOK, "question", qp)
	}
	b, err := h.render.Bytes("question", qp)
	if err != nil {
		return err
	}
	p, err := newCachedPage(k, r.URL.Path, b, h.pages.now())
	if err != nil {
		return err
	}
	if h.pages.put(p, epoch) {
		w.Header().Set("X-Page-Cache", "miss")
	}
	return writeCachedPage(w, r, p)
}

// writeCachedPage sends p gzip-compressed to clients that take gzip and
// decompressed to the rare one that does not, with an ETag per encoding
// so that a revisit costs a 304. It is revalidated every time (no-cache):
// signing in, or a change, must show at once.
func writeCachedPage(w http.ResponseWriter, r *http.Request, p *cachedPage) error {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "private, no-cache")
	hd.Add("Vary", "Accept-Encoding, Accept-Language, Cookie")
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	etag := p.etag
	if gz {
		etag = strings.TrimSuffix(p.etag, `"`) + `-gz"`
		// Set before the status: the compressing middleware leaves an
		// encoded response (and a 304 of one) alone.
		hd.Set("Content-Encoding", "gzip")
	}
	hd.Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if gz {
		hd.Set("Content-Length", strconv.Itoa(len(p.gz)))
		w.WriteHeader(http.StatusOK)
		_, err := w.Write(p.gz)
		return err
	}
	zr, err := gzip.NewReader(bytes.NewReader(p.gz))
	if err != nil {
		return err
	}
	page, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(page)
	return err
}

// acceptsGzip reads an Accept-Encoding header: gzip (or *) listed without q=0.
func acceptsGzip(h string) bool {
	for part := range strings.SplitSeq(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if q == "q=0" || strings.HasPrefix(q, "q=0.0") && strings.Trim(q[4:], "0") == "" {
			return false
		}
		return true
	}
	return false
}

// etagMatches reports whether an If-None-Match header names etag.
func etagMatches(inm, etag string) bool {
	for part := range strings.SplitSeq(inm, ",") {
		t := strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
