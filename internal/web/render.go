package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/identity"
)

//go:embed templates/*.html
var layoutFS embed.FS

//go:embed messages/*.json
var messagesFS embed.FS

// Messages is the catalog of the layout, errors and login pages.
var Messages fs.FS = messagesFS

// Page is what every template gets, embedded in the page's own typed data.
type Page struct {
	T     i18n.Translator
	Title string
	User  *identity.User
	CSRF  string
	Path  string
	Query string
	// Lang is the page language, for <html lang>.
	Lang string
	// Wide pages (console, dashboard) use the whole screen width.
	Wide bool
}

// Tr translates key in the page's language (templates call {{.Tr "key"}}).
func (p Page) Tr(key string, args ...any) string { return p.T.T(key, args...) }

// NewPage fills the common page fields from the request.
func NewPage(r *http.Request, titleKey string, args ...any) Page {
	t := TranslatorFrom(r)
	u, _ := identity.From(r.Context())
	return Page{T: t, Title: t.T(titleKey, args...), User: u, CSRF: CSRFToken(r), Path: r.URL.Path, Query: r.URL.RawQuery, Lang: t.Lang}
}

// Renderer renders a domain's pages inside the shared layout.
type Renderer struct {
	pages map[string]*template.Template
}

// Funcs shared by every template.
var baseFuncs = template.FuncMap{
	"asset":   AssetURL,
	"date":    FormatDate,
	"isoTime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"add":     func(a, b int) int { return a + b },
	"sub":     func(a, b int) int { return a - b },
	"join":    strings.Join,
}

// FormatDate is how pages show a time: Vietnamese order, Việt Nam's time
// (dd/mm/yyyy hh:mm); "" for the zero time.
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(i18n.Vietnam).Format("02/01/2006 15:04")
}

// NewRenderer parses every *.html page in fsys (under dir) with the layout
// and the partials in fsys whose names start with "_".
func NewRenderer(fsys fs.FS, dir string, funcs template.FuncMap) (*Renderer, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.html"))
	if err != nil {
		return nil, err
	}
	var partials []string
	for _, n := range names {
		if strings.HasPrefix(path.Base(n), "_") {
			partials = append(partials, n)
		}
	}
	rd := &Renderer{pages: map[string]*template.Template{}}
	for _, n := range names {
		base := path.Base(n)
		if strings.HasPrefix(base, "_") {
			continue
		}
		t := template.New("layout.html").Funcs(baseFuncs).Funcs(funcs)
		if t, err = t.ParseFS(layoutFS, "templates/layout.html"); err != nil {
			return nil, err
		}
		files := append(append([]string{}, partials...), n)
		if t, err = t.ParseFS(fsys, files...); err != nil {
			return nil, fmt.Errorf("parse %s: %w", n, err)
		}
		rd.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return rd, nil
}

// Render executes page name into a buffer first, so a template error becomes
// a clean 500 rather than half a page.
func (rd *Renderer) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	b, err := rd.Bytes(name, data)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}

// Bytes executes page name and returns the whole page, for callers that
// keep it (the forum's page cache).
func (rd *Renderer) Bytes(name string, data any) ([]byte, error) {
	t, ok := rd.pages[name]
	if !ok {
		return nil, fmt.Errorf("no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// RenderFragment executes a named template (a partial) without the layout,
// for live updates that swap part of a page.
func (rd *Renderer) RenderFragment(w http.ResponseWriter, page, name string, data any) error {
	t, ok := rd.pages[page]
	if !ok {
		return fmt.Errorf("no template %q", page)
	}
	return t.ExecuteTemplate(w, name, data)
}

var errorPage = template.Must(template.New("layout.html").Funcs(baseFuncs).ParseFS(layoutFS, "templates/layout.html", "templates/error.html"))

type errorData struct {
	Page
	Status  int
	Message string
}

func renderErrorPage(w http.ResponseWriter, r *http.Request, status int, e *apperr.Error) {
	p := NewPage(r, "error.title")
	msg := e.Message
	if e.Kind == apperr.Internal {
		msg = p.Tr("error.internal")
	} else if key := "error." + e.Code; p.Tr(key) != key {
		msg = p.Tr(key)
	}
	var buf bytes.Buffer
	if err := errorPage.Execute(&buf, errorData{Page: p, Status: status, Message: msg}); err != nil {
		slog.Error("render error page", "err", err)
		http.Error(w, msg, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
