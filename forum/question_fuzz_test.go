package forum

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/web"
	"golang.org/x/net/html"
)

// The ask form (POST /hoi) is the forum's widest door. Whatever is posted,
// Validate either refuses it with an Invalid error naming a field, or
// leaves a question within every limit; validating again changes nothing;
// and the form page re-rendered with the posted values (as handleAskForm
// does on an error) gains no element, script or event handler from them.
func FuzzAskForm(f *testing.F) {
	f.Add("title=H%E1%BB%8Fi+v%E1%BB%81+%C4%91%E1%BA%A5t+%C4%91ai&body=Xin+h%E1%BB%8Fi+th%E1%BB%A7+t%E1%BB%A5c+c%E1%BA%A5p+s%E1%BB%95&category=dat-dai&consent=1", "vi")
	f.Add(`title="><script>alert(1)</script>&body=<img src=x onerror=alert(1)>xxxxxxxx&category=x&kind=complaint&visibility=public&name=A&consent=`, "en")
	h, err := NewHandlers(nil, Options{BaseURL: "http://localhost:8080", SigningKey: func(context.Context) ([]byte, error) { return make([]byte, 32), nil }})
	if err != nil {
		f.Fatal(err)
	}
	cat := i18n.New()
	if err := cat.Add(web.Messages); err != nil {
		f.Fatal(err)
	}
	if err := cat.Add(Messages); err != nil {
		f.Fatal(err)
	}
	cats := []Category{{ID: 1, Slug: "dat-dai", Name: "Đất đai", Moderation: "pre"}}
	baseline := -1 // <script> elements on the page with harmless values
	f.Fuzz(func(t *testing.T, form, lang string) {
		page := func(r *http.Request) string {
			n := NewQuestion{
				Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Category: r.PostFormValue("category"),
				Province: r.PostFormValue("province"), District: r.PostFormValue("district"), Commune: r.PostFormValue("commune"),
				Language: r.PostFormValue("language"), Kind: r.PostFormValue("kind"), Visibility: r.PostFormValue("visibility"),
				Name: r.PostFormValue("name"), Contact: r.PostFormValue("contact"), Consent: r.PostFormValue("consent") != "",
				RequireConsent: true,
			}
			// The page shows the values as posted; Ask validates its own copy.
			p := askPage{Page: web.NewPage(r, "forum.ask_title"), Categories: cats, Form: n}
			v := n
			if err := v.Validate(); err != nil {
				e := apperr.As(err)
				if e.Kind != apperr.Invalid || e.Code == "" {
					t.Fatalf("Validate(%+v) = %v: want an Invalid error with a code", n, err)
				}
				p.Error, p.Field = translateErr(p.T.T, e), fieldOf(err)
				if p.Error == "" {
					t.Fatalf("no message for %q", e.Code)
				}
			} else {
				assertValidQuestion(t, v)
			}
			rec := httptest.NewRecorder()
			if err := h.render.Render(rec, r, http.StatusUnprocessableEntity, "ask", p); err != nil {
				t.Fatalf("render: %v", err)
			}
			return rec.Body.String()
		}
		serve := func(body string) (out string) {
			req := httptest.NewRequest(http.MethodPost, "/hoi", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept-Language", lang)
			capture := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { out = page(r) })
			i18n.Middleware(web.WithCatalog(cat)(capture)).ServeHTTP(httptest.NewRecorder(), req)
			return out
		}
		if baseline < 0 {
			baseline = countPage(t, serve("title=x")).scripts
		}
		got := countPage(t, serve(form))
		if got.scripts != baseline || got.handlers > 0 || got.jsURLs > 0 {
			t.Fatalf("form %q: page has %d scripts (want %d), %d on* attributes, %d javascript: URLs", form, got.scripts, baseline, got.handlers, got.jsURLs)
		}
	})
}

func assertValidQuestion(t *testing.T, n NewQuestion) {
	t.Helper()
	for _, s := range []string{n.Title, n.Body, n.Category, n.Province, n.District, n.Commune, n.Language, n.Kind, n.Visibility, n.Name, n.Contact} {
		if !utf8.ValidString(s) || s != strings.TrimSpace(s) {
			t.Fatalf("accepted %q: want valid, trimmed UTF-8", s)
		}
	}
	title, body := utf8.RuneCountInString(n.Title), utf8.RuneCountInString(n.Body)
	switch {
	case title < MinTitle || title > MaxTitle || body < MinBody || body > MaxBody:
		t.Fatalf("accepted a title of %d and a body of %d characters", title, body)
	case strings.ContainsRune(n.Title+n.Body, 0):
		t.Fatalf("accepted a NUL")
	case n.Category == "" || n.Language == "" || len(n.Language) > 16:
		t.Fatalf("accepted category %q, language %q", n.Category, n.Language)
	case n.Kind != "question" && n.Kind != "feedback" && n.Kind != "complaint" && n.Kind != "denunciation":
		t.Fatalf("accepted kind %q", n.Kind)
	case n.Visibility != "public" && n.Visibility != "private":
		t.Fatalf("accepted visibility %q", n.Visibility)
	case (n.Kind == "complaint" || n.Kind == "denunciation") && n.Visibility != "private":
		t.Fatalf("a %s is %s", n.Kind, n.Visibility)
	case !n.Consent:
		t.Fatalf("accepted without consent")
	}
	for _, s := range []string{n.Province, n.District, n.Commune, n.Name, n.Contact} {
		if utf8.RuneCountInString(s) > MaxShort {
			t.Fatalf("accepted %d characters in a short field", utf8.RuneCountInString(s))
		}
	}
	again := n
	if err := again.Validate(); err != nil || again != n {
		t.Fatalf("validating %+v again: %v, %+v", n, err, again)
	}
}

type pageCounts struct{ scripts, handlers, jsURLs int }

// countPage parses a page as a browser would.
func countPage(t *testing.T, page string) pageCounts {
	t.Helper()
	var c pageCounts
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return c
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.Data == "script" {
				c.scripts++
			}
			for _, a := range tok.Attr {
				if strings.HasPrefix(a.Key, "on") {
					c.handlers++
				}
				if (a.Key == "href" || a.Key == "src" || a.Key == "action") && !safeHref(a.Val) {
					c.jsURLs++
				}
			}
		}
	}
}
