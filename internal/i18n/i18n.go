// Package i18n holds the message catalogs: Vietnamese first, English second.
// Each domain ships its own `messages/<lang>.json` and adds it at start-up,
// so every user-visible string has a key and a translation beside its code.
package i18n

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"golang.org/x/text/language"
)

// Languages the UI speaks, default first.
var Languages = []string{"vi", "en"}

var matcher = language.NewMatcher([]language.Tag{language.Vietnamese, language.English})

// Catalog maps language → key → message.
type Catalog struct {
	msgs map[string]map[string]string
}

// New returns an empty catalog.
func New() *Catalog {
	c := &Catalog{msgs: map[string]map[string]string{}}
	for _, l := range Languages {
		c.msgs[l] = map[string]string{}
	}
	return c
}

// Add loads messages/<lang>.json for every language from fsys. A key defined
// twice is a programming error and is reported.
func (c *Catalog) Add(fsys fs.FS) error {
	for _, lang := range Languages {
		data, err := fs.ReadFile(fsys, path.Join("messages", lang+".json"))
		if err != nil {
			return fmt.Errorf("i18n: %w", err)
		}
		var m map[string]string
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("i18n: messages/%s.json: %w", lang, err)
		}
		for k, v := range m {
			if _, dup := c.msgs[lang][k]; dup {
				return fmt.Errorf("i18n: key %q defined twice for %s", k, lang)
			}
			c.msgs[lang][k] = v
		}
	}
	return nil
}

// Missing lists keys present in Vietnamese but not in lang (for tests).
func (c *Catalog) Missing(lang string) []string {
	var out []string
	for k := range c.msgs["vi"] {
		if _, ok := c.msgs[lang][k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// Translator speaks one language.
type Translator struct {
	Lang string
	c    *Catalog
}

// For returns the translator of lang (Vietnamese when unknown).
func (c *Catalog) For(lang string) Translator {
	if _, ok := c.msgs[lang]; !ok {
		lang = "vi"
	}
	return Translator{Lang: lang, c: c}
}

// T translates key, formatting args into it when given. An unknown key falls
// back to Vietnamese and then to the key itself, so a gap shows, not breaks.
func (t Translator) T(key string, args ...any) string {
	msg, ok := t.c.msgs[t.Lang][key]
	if !ok {
		if msg, ok = t.c.msgs["vi"][key]; !ok {
			msg = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

type ctxKey struct{}

// WithLang stores the request language in ctx.
func WithLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, ctxKey{}, lang)
}

// LangFrom returns the request language ("vi" when none was chosen).
func LangFrom(ctx context.Context) string {
	if l, ok := ctx.Value(ctxKey{}).(string); ok {
		return l
	}
	return "vi"
}

// Middleware picks the language: ?lang= (remembered in a cookie), then the
// cookie, then Accept-Language, then Vietnamese.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := ""
		if q := r.URL.Query().Get("lang"); q != "" && known(q) {
			lang = q
			http.SetCookie(w, &http.Cookie{Name: "lang", Value: q, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true})
		} else if c, err := r.Cookie("lang"); err == nil && known(c.Value) {
			lang = c.Value
		} else if al := r.Header.Get("Accept-Language"); al != "" {
			tags, _, _ := language.ParseAcceptLanguage(al)
			_, idx, conf := matcher.Match(tags...)
			if conf >= language.High {
				lang = Languages[idx]
			}
		}
		if lang == "" {
			lang = "vi"
		}
		next.ServeHTTP(w, r.WithContext(WithLang(r.Context(), lang)))
	})
}

func known(l string) bool {
	for _, k := range Languages {
		if strings.EqualFold(k, l) {
			return true
		}
	}
	return false
}
