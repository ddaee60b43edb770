package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
)

// CSRF protection for cookie-authenticated state changes.
//
// Every visitor gets a random token in the "csrf" cookie (double submit); HTML
// forms echo it in a hidden csrf_token field, scripts in X-CSRF-Token. On
// unsafe methods:
//   - bearer-token requests carry no ambient authority: not checked;
//   - a browser request from another origin (Origin or Sec-Fetch-Site) is refused;
//   - form posts must echo the token, or come with the browser's own word
//     that they are same-origin: Sec-Fetch-Site: same-origin (or none, typed
//     by the user), else an Origin equal to the host, else (browsers old
//     enough to send neither) a Referer on the host. A page cannot forge
//     these for another site, JavaScript or not, so pages served alike to
//     every anonymous visitor (the forum's cached question pages) carry no
//     token at all; a form with none of the three is refused;
//   - JSON bodies cannot be sent cross-origin without a CORS preflight, which
//     we never grant, so a same-origin JSON request is accepted as is.
const csrfCookie = "csrf"

type csrfKey struct{}

// CSRFToken is the token forms must echo.
func CSRFToken(r *http.Request) string {
	t, _ := r.Context().Value(csrfKey{}).(string)
	return t
}

// CSRF is the middleware described above. secure marks the cookie Secure.
func CSRF(secure bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token := ""
			if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
				token = c.Value
			} else {
				b := make([]byte, 24)
				_, _ = rand.Read(b)
				token = base64.RawURLEncoding.EncodeToString(b)
				http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: token, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
			}
			r = r.WithContext(context.WithValue(r.Context(), csrfKey{}, token))
			if !safeMethod(r.Method) && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
				if err := checkCSRF(r, token); err != nil {
					Error(w, r, err)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func checkCSRF(r *http.Request, token string) error {
	forbidden := &apperr.Error{Kind: apperr.Forbidden, Code: "csrf", Message: "this form has expired or came from another site; reload the page and try again"}
	if origin := r.Header.Get("Origin"); origin != "" && origin != "null" {
		u, err := url.Parse(origin)
		if err != nil || u.Host != r.Host {
			return forbidden
		}
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return forbidden
	}
	ct := r.Header.Get("Content-Type")
	isForm := strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data") || strings.HasPrefix(ct, "text/plain")
	sent := r.Header.Get("X-CSRF-Token")
	if sent == "" && isForm {
		sent = r.PostFormValue("csrf_token")
	}
	if sent != "" {
		if subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
			return forbidden
		}
		return nil
	}
	if isForm && !sameOriginByBrowser(r) {
		return forbidden
	}
	return nil
}

// sameOriginByBrowser reports whether the browser itself said r comes from
// one of our pages (cross-origin answers were refused before this).
func sameOriginByBrowser(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default: // same-site (a sibling subdomain is not us), cross-site
		return false
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		return origin != "null" // a matching Origin; "null" proves nothing
	}
	u, err := url.Parse(r.Header.Get("Referer"))
	return err == nil && u.Host != "" && u.Host == r.Host && (u.Scheme == "http" || u.Scheme == "https")
}
