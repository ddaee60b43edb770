package auth

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5"
)

//go:embed messages/*.json
var messagesFS embed.FS

// Messages is this package's catalog (the admin's user pages).
var Messages fs.FS = messagesFS

// Templates are this package's page templates (for the catalog test).
var Templates fs.FS = templatesFS

// Roles are the account roles, in the order the forms list them.
var Roles = []string{identity.RoleCitizen, identity.RoleModerator, identity.RoleLeader, identity.RoleAdmin}

// secretCookie carries a freshly generated SIP secret from the POST that
// made it to the one GET that shows it (POST → redirect → GET on any
// node); the page clears it, so the secret is shown once.
const secretCookie = "sip_secret_once"

// adminRoutes registers /admin/users (admin only).
func (h *Handlers) adminRoutes(r chi.Router) {
	r.Use(RequireRole(identity.RoleAdmin))
	r.Method(http.MethodGet, "/admin/users", web.Handler(h.handleUserIndex))
	r.Method(http.MethodPost, "/admin/users", web.Handler(h.handleUserCreate))
	r.Method(http.MethodGet, "/admin/users/{id}", web.Handler(h.handleUserView))
	r.Method(http.MethodPost, "/admin/users/{id}/{change}", web.Handler(h.handleUserChange))
}

type userIndexPage struct {
	web.Page
	Users                    []*User
	Q                        string
	Roles                    []string
	Login, Name, Role, Error string // the create form as typed
	SIP                      bool
}

func (h *Handlers) renderUserIndex(w http.ResponseWriter, r *http.Request, status int, p userIndexPage) error {
	var err error
	p.Roles = Roles
	if p.Users, err = h.svc.Store.FindUsers(r.Context(), p.Q, 200); err != nil {
		return err
	}
	return h.render.Render(w, r, status, "admin_users", p)
}

// handleUserIndex serves GET /admin/users[?q=]: accounts, searched by
// login, name, phone or e-mail, and the form that creates one.
func (h *Handlers) handleUserIndex(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	if len(q) > maxLoginBytes {
		q = q[:maxLoginBytes]
	}
	return h.renderUserIndex(w, r, http.StatusOK, userIndexPage{Page: web.NewPage(r, "admin.users.title"), Q: q, Role: identity.RoleModerator})
}

// adminMessage is the translated message of a validation error.
func adminMessage(p web.Page, err error) (string, error) {
	e := apperr.As(err)
	if e.Kind != apperr.Invalid && e.Kind != apperr.Conflict {
		return "", err
	}
	if key := "admin.users.error." + e.Code; p.Tr(key) != key {
		return p.Tr(key), nil
	}
	return e.Message, nil
}

func (h *Handlers) audit() (AuditFunc, error) {
	if h.Audit == nil {
		return nil, errors.New("auth: no admin audit log configured")
	}
	return h.Audit, nil
}

// handleUserCreate serves POST /admin/users. A SIP agent's secret is
// generated here and shown once on the account's page.
func (h *Handlers) handleUserCreate(w http.ResponseWriter, r *http.Request) error {
	audit, err := h.audit()
	if err != nil {
		return err
	}
	actor, _ := identity.From(r.Context())
	p := userIndexPage{Page: web.NewPage(r, "admin.users.title"), Login: strings.TrimSpace(r.PostFormValue("login")),
		Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role"), SIP: r.PostFormValue("sip") != ""}
	password := r.PostFormValue("password")
	n := NewUser{Login: p.Login, Role: p.Role, Password: password, DisplayName: p.Name, SIP: p.SIP}
	if IsPhone(n.Login) || strings.ContainsAny(n.Login, " ()") {
		n.Login = CanonicalLogin(n.Login)
	}
	if n.SIP {
		n.SIPSecret = NewSIPSecret()
	}
	var u *User
	switch {
	case len(p.Login) > maxLoginBytes || len(p.Name) > maxNameBytes || len(password) > maxPasswordBytes:
		err = apperr.Invalidf("too_long", "a field is too long")
	default:
		u, err = h.svc.Store.AdminCreateUser(r.Context(), audit, actor, n)
	}
	if err != nil {
		if p.Error, err = adminMessage(p.Page, err); err != nil {
			return err
		}
		return h.renderUserIndex(w, r, http.StatusUnprocessableEntity, p)
	}
	if n.SIP {
		h.setSecretCookie(w, u.ID, n.SIPSecret)
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/users/%d?done=created", u.ID), http.StatusSeeOther)
	return nil
}

func (h *Handlers) setSecretCookie(w http.ResponseWriter, id int64, secret string) {
	http.SetCookie(w, &http.Cookie{Name: secretCookie, Value: fmt.Sprintf("%d.%s", id, secret), Path: "/admin/users",
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteStrictMode, MaxAge: 300})
}

// takeSecret returns the secret waiting for account id, clearing it.
func (h *Handlers) takeSecret(w http.ResponseWriter, r *http.Request, id int64) string {
	c, err := r.Cookie(secretCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: secretCookie, Value: "", Path: "/admin/users", HttpOnly: true, Secure: h.secure,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	owner, secret, ok := strings.Cut(c.Value, ".")
	if !ok || owner != strconv.FormatInt(id, 10) {
		return ""
	}
	return secret
}

type userViewPage struct {
	web.Page
	U          *User
	Roles      []string
	Self       bool
	Secret     string // the new SIP secret, shown this once
	Realm      string
	Flash      string
	Error      string
	FieldError string // which form the error belongs to
}

func (h *Handlers) renderUserView(w http.ResponseWriter, r *http.Request, status int, p userViewPage) error {
	actor, _ := identity.From(r.Context())
	p.Roles, p.Realm, p.Self = Roles, SIPRealm, actor != nil && actor.ID == p.U.ID
	return h.render.Render(w, r, status, "admin_user", p)
}

// handleUserView serves GET /admin/users/{id}: the account and the forms
// that change it.
func (h *Handlers) handleUserView(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id", "user")
	if err != nil {
		return err
	}
	u, err := h.svc.Store.FindUserByID(r.Context(), id)
	if err != nil {
		return err
	}
	p := userViewPage{Page: web.NewPage(r, "admin.user.title", u.Login), U: u, Secret: h.takeSecret(w, r, id)}
	if done := r.URL.Query().Get("done"); done != "" {
		if key := "admin.users.done." + done; p.Tr(key) != key {
			p.Flash = p.Tr(key)
		}
	}
	return h.renderUserView(w, r, http.StatusOK, p)
}

// handleUserChange serves POST /admin/users/{id}/{change}, change being
// role, disable, enable, password, sip (make an agent or rotate its
// secret) or no-sip.
func (h *Handlers) handleUserChange(w http.ResponseWriter, r *http.Request) error {
	audit, err := h.audit()
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "id", "user")
	if err != nil {
		return err
	}
	var c UserChange
	var secret string
	change := chi.URLParam(r, "change")
	switch change {
	case "role":
		role := r.PostFormValue("role")
		c.Role = &role
	case "disable", "enable":
		d := change == "disable"
		c.Disabled = &d
	case "password":
		pw := r.PostFormValue("password")
		c.Password = &pw
	case "sip":
		secret = NewSIPSecret()
		c.SIPSecret = &secret
	case "no-sip":
		c.NoSIP = true
	default:
		return apperr.NotFoundf("no such change")
	}
	actor, _ := identity.From(r.Context())
	if _, err := h.svc.Store.AdminUpdateUser(r.Context(), audit, actor, id, c); err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return err
		}
		u, ferr := h.svc.Store.FindUserByID(r.Context(), id)
		if ferr != nil {
			return ferr
		}
		p := userViewPage{Page: web.NewPage(r, "admin.user.title", u.Login), U: u, FieldError: change}
		if p.Error, err = adminMessage(p.Page, err); err != nil {
			return err
		}
		return h.renderUserView(w, r, http.StatusUnprocessableEntity, p)
	}
	if secret != "" {
		h.setSecretCookie(w, id, secret)
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/users/%d?done=%s", id, change), http.StatusSeeOther)
	return nil
}
