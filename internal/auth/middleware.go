package auth

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
)

// SessionCookie names the session cookie.
const SessionCookie = "session"

// TokenFrom returns the session token of r: the bearer token, else the cookie.
func TokenFrom(r *http.Request) (token string, bearer bool) {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimSpace(strings.TrimPrefix(h, "Bearer ")), true
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value, false
	}
	return "", false
}

// Middleware puts the signed-in user, if any, in the request context. An
// unknown or expired token is the same as none: the request is anonymous.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, bearer := TokenFrom(r)
		if token != "" {
			u, err := s.Store.FindSessionUser(r.Context(), token)
			switch {
			case err == nil:
				id := u.Identity()
				id.Bearer = bearer
				r = r.WithContext(identity.With(r.Context(), id))
			case apperr.KindOf(err) != apperr.NotFound:
				web.Error(w, r, &apperr.Error{Kind: apperr.Unavailable, Code: "unavailable", Message: "sign-in is unavailable right now", Err: err})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// RequireRole lets through users with one of roles. Anonymous API calls get
// 401 and anonymous page visits go to the login page; other roles get 403.
func RequireRole(roles ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, ok := identity.From(r.Context())
			if !ok {
				if !web.WantsJSON(r) && r.Method == http.MethodGet {
					http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				web.Error(w, r, &apperr.Error{Kind: apperr.Unauthorized, Code: "login_required", Message: "log in first"})
				return
			}
			if !u.HasRole(roles...) {
				web.Error(w, r, &apperr.Error{Kind: apperr.Forbidden, Code: "forbidden", Message: "your role may not do this"})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Staff is RequireRole for the people who work the queue.
var Staff = RequireRole(identity.RoleModerator, identity.RoleLeader, identity.RoleAdmin)
