package auth

import (
	"embed"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Handlers serves login, logout and registration, as pages and as API.
type Handlers struct {
	svc    *Service
	render *web.Renderer
	secure bool
	// Audit records admin actions (handlers_admin.go); the node sets it.
	Audit AuditFunc
}

// NewHandlers builds the handlers; secure marks cookies Secure (HTTPS).
func NewHandlers(svc *Service, secure bool) (*Handlers, error) {
	rd, err := web.NewRenderer(templatesFS, "templates", nil)
	if err != nil {
		return nil, err
	}
	return &Handlers{svc: svc, render: rd, secure: secure}, nil
}

// Routes registers every route of this package on r (paths are absolute:
// the API contract fixes them).
func (h *Handlers) Routes(r chi.Router) {
	r.Method(http.MethodPost, "/api/v1/session", web.Handler(h.handleSessionCreate))
	r.Method(http.MethodDelete, "/api/v1/session", web.Handler(h.handleSessionDelete))
	r.Method(http.MethodGet, "/api/v1/me", web.Handler(h.handleMe))
	r.Method(http.MethodGet, "/login", web.Handler(h.handleLoginPage))
	r.Method(http.MethodPost, "/login", web.Handler(h.handleLoginForm))
	r.Method(http.MethodPost, "/logout", web.Handler(h.handleLogout))
	r.Method(http.MethodGet, "/register", web.Handler(h.handleRegisterPage))
	r.Method(http.MethodPost, "/register", web.Handler(h.handleRegisterForm))
	r.Group(h.adminRoutes)
}

func (h *Handlers) setCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: h.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(h.svc.SessionTTL.Seconds())})
}

// setDeviceCookie keeps the device cookie of a successful login.
func (h *Handlers) setDeviceCookie(w http.ResponseWriter, value string) {
	http.SetCookie(w, &http.Cookie{Name: DeviceCookie, Value: value, Path: "/", HttpOnly: true, Secure: h.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(deviceTTL.Seconds())})
}

// credentials is a login attempt from r.
func credentials(r *http.Request, login, password string) Credentials {
	c := Credentials{Login: login, Password: password, IP: web.ClientIP(r)}
	if ck, err := r.Cookie(DeviceCookie); err == nil {
		c.Device = ck.Value
	}
	return c
}

func (h *Handlers) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

type sessionRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

type userJSON struct {
	ID    int64  `json:"id"`
	Login string `json:"login"`
	Role  string `json:"role"`
	Name  string `json:"name"`
}

// handleSessionCreate serves POST /api/v1/session: a cookie and a bearer token.
func (h *Handlers) handleSessionCreate(w http.ResponseWriter, r *http.Request) error {
	var req sessionRequest
	if err := web.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	s, err := h.svc.Login(r.Context(), credentials(r, req.Login, req.Password))
	if err != nil {
		return err
	}
	h.setCookie(w, s.Token)
	h.setDeviceCookie(w, s.Device)
	u := s.User
	web.JSON(w, http.StatusOK, map[string]any{"token": s.Token, "user": userJSON{u.ID, u.Login, u.Role, u.DisplayName}})
	return nil
}

// handleSessionDelete serves DELETE /api/v1/session.
func (h *Handlers) handleSessionDelete(w http.ResponseWriter, r *http.Request) error {
	if token, _ := TokenFrom(r); token != "" {
		if err := h.svc.Logout(r.Context(), token); err != nil {
			return err
		}
	}
	h.clearCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleMe serves GET /api/v1/me: who the credentials belong to.
func (h *Handlers) handleMe(w http.ResponseWriter, r *http.Request) error {
	u, ok := identity.From(r.Context())
	if !ok {
		return &apperr.Error{Kind: apperr.Unauthorized, Code: "login_required", Message: "log in first"}
	}
	web.JSON(w, http.StatusOK, userJSON{u.ID, u.Login, u.Role, u.DisplayName})
	return nil
}

type loginPage struct {
	web.Page
	Login string
	Next  string
	Error string
}

// handleLoginPage serves GET /login.
func (h *Handlers) handleLoginPage(w http.ResponseWriter, r *http.Request) error {
	return h.render.Render(w, r, http.StatusOK, "login", loginPage{Page: web.NewPage(r, "login.title"), Next: safeNext(r.URL.Query().Get("next"))})
}

// handleLoginForm serves POST /login: back to the form with a message on
// failure, else on to ?next (staff default to the console).
func (h *Handlers) handleLoginForm(w http.ResponseWriter, r *http.Request) error {
	login, next := r.PostFormValue("login"), safeNext(r.PostFormValue("next"))
	s, err := h.svc.Login(r.Context(), credentials(r, login, r.PostFormValue("password")))
	if err != nil {
		p := loginPage{Page: web.NewPage(r, "login.title"), Next: next}
		if len(login) <= maxLoginBytes {
			p.Login = login // echoed back only when small
		}
		e := apperr.As(err)
		switch {
		case e.Code == "credentials_too_long":
			p.Error = p.Tr("login.too_long")
		case e.Kind == apperr.Unauthorized, e.Kind == apperr.Invalid:
			p.Error = p.Tr("login.failed")
		case e.Kind == apperr.TooMany && e.Code == "busy":
			p.Error = p.Tr("auth.busy")
		case e.Kind == apperr.TooMany:
			p.Error = p.Tr("login.too_many", retrySeconds(e.RetryAfter))
		default:
			return err
		}
		setRetryAfter(w, e)
		return h.render.Render(w, r, web.Status(e.Kind), "login", p)
	}
	h.setCookie(w, s.Token)
	h.setDeviceCookie(w, s.Device)
	if next == "" {
		next = "/"
		if s.User.Identity().IsStaff() {
			next = "/console"
		}
		if s.User.Role == identity.RoleLeader { // a leader's five minutes start on the dashboard
			next = "/dashboard"
		}
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// handleLogout serves POST /logout.
func (h *Handlers) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if token, _ := TokenFrom(r); token != "" {
		if err := h.svc.Logout(r.Context(), token); err != nil {
			return err
		}
	}
	h.clearCookie(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

type registerPage struct {
	web.Page
	Login, Name, Password, Error string
	Consent                      bool
	// Errors are every problem of the form at once (consent and the
	// login, say), so that one round trip fixes them all.
	Errors []string
	Field  string // the first field in error, focused
}

// handleRegisterPage serves GET /register (citizens only).
func (h *Handlers) handleRegisterPage(w http.ResponseWriter, r *http.Request) error {
	return h.render.Render(w, r, http.StatusOK, "register", registerPage{Page: web.NewPage(r, "register.title")})
}

// handleRegisterForm serves POST /register: a citizen account by phone or
// e-mail, signed in at once. Errors come back together, with what was
// typed (the password too: a citizen on a phone should not retype it).
func (h *Handlers) handleRegisterForm(w http.ResponseWriter, r *http.Request) error {
	login, name, password := r.PostFormValue("login"), r.PostFormValue("name"), r.PostFormValue("password")
	p := registerPage{Page: web.NewPage(r, "register.title"), Consent: r.PostFormValue("consent") != ""}
	if len(login) <= maxLoginBytes && len(name) <= maxNameBytes && len(password) <= maxPasswordBytes {
		p.Login, p.Name, p.Password = CanonicalLogin(login), strings.TrimSpace(name), password // echoed back only when small
	}
	bad := func(field, key string) {
		p.Errors = append(p.Errors, p.Tr(key))
		if p.Field == "" {
			p.Field = field
		}
	}
	if len(login) > maxLoginBytes || len(name) > maxNameBytes || len(password) > maxPasswordBytes {
		bad("login", "register.too_long")
	} else {
		if !IsPhone(p.Login) && !IsEmail(p.Login) {
			bad("login", "register.bad_login")
		}
		if len(password) < 8 {
			bad("password", "register.weak_password")
		}
	}
	if !p.Consent {
		bad("consent", "register.consent_required")
	}
	if len(p.Errors) > 0 {
		p.Error = p.Errors[0]
		return h.render.Render(w, r, http.StatusUnprocessableEntity, "register", p)
	}
	token, u, err := h.svc.Register(r.Context(), NewUser{Login: p.Login, Password: password, DisplayName: p.Name}, web.ClientIP(r))
	if err != nil {
		e := apperr.As(err)
		switch {
		case e.Kind == apperr.Conflict:
			p.Error = p.Tr("register.taken")
		case e.Kind == apperr.TooMany && e.Code == "busy":
			p.Error = p.Tr("auth.busy")
		case e.Kind == apperr.TooMany:
			p.Error = p.Tr("register.too_many", (retrySeconds(e.RetryAfter)+59)/60)
		case e.Code == "weak_password":
			p.Error = p.Tr("register.weak_password")
		case e.Kind == apperr.Invalid:
			p.Error = p.Tr("register.bad_login")
		default:
			return err
		}
		p.Errors = []string{p.Error}
		setRetryAfter(w, e)
		status := web.Status(e.Kind)
		if e.Kind == apperr.Invalid {
			status = http.StatusUnprocessableEntity
		}
		return h.render.Render(w, r, status, "register", p)
	}
	h.setCookie(w, token)
	if devices, err := h.svc.devices(r.Context()); err == nil {
		h.setDeviceCookie(w, devices.issue(strings.ToLower(u.Login)))
	} // without one the new citizen is merely treated as a stranger later

	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// retrySeconds is d in whole seconds, rounded up, as Retry-After wants.
func retrySeconds(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }

// setRetryAfter tells a rate-limited page's client when to come back (the
// JSON errors get it from web.Error).
func setRetryAfter(w http.ResponseWriter, e *apperr.Error) {
	if e.Kind == apperr.TooMany && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(e.RetryAfter)))
	}
}

// safeNext keeps redirects on this site (see web.LocalPath).
func safeNext(next string) string { return web.LocalPath(next) }
