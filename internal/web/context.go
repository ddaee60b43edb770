package web

import (
	"context"
	"net/http"

	"github.com/doithoai/doithoai/internal/i18n"
)

type catalogKey struct{}

// WithCatalog makes the message catalog available to every handler, so
// pages and error pages translate in the request's language.
func WithCatalog(c *i18n.Catalog) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), catalogKey{}, c)))
		})
	}
}

// fallbackCatalog serves requests that bypassed WithCatalog (tests of a
// single handler): they still get the layout's own messages.
var fallbackCatalog = func() *i18n.Catalog {
	c := i18n.New()
	_ = c.Add(Messages)
	return c
}()

// TranslatorFrom returns the translator for the request's language.
func TranslatorFrom(r *http.Request) i18n.Translator {
	c, ok := r.Context().Value(catalogKey{}).(*i18n.Catalog)
	if !ok {
		c = fallbackCatalog
	}
	return c.For(i18n.LangFrom(r.Context()))
}
