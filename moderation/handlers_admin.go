package moderation

import (
	"context"
	"net/http"
	"strconv"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/auth"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5"
)

// AdminLink is one entry of the admin landing page's nav.
type AdminLink struct{ Href, Key string }

// AdminLinks are the admin pages, each served by the domain that owns the
// data (users: internal/auth; categories: forum; hotline: callcenter).
var AdminLinks = []AdminLink{
	{"/admin/users", "admin.nav.users"},
	{"/admin/categories", "admin.nav.categories"},
	{"/admin/departments", "admin.nav.departments"},
	{"/admin/canned", "admin.nav.canned"},
	{"/admin/hotline/topics", "admin.nav.hotline_topics"},
	{"/admin/hotline/hours", "admin.nav.hotline_hours"},
	{"/admin/hotline/languages", "admin.nav.hotline_languages"},
	{"/admin/hotline/prompts", "admin.nav.hotline_prompts"},
	{"/admin/sla", "admin.nav.sla"},
	{"/admin/holidays", "admin.nav.holidays"},
	{"/admin/retention", "admin.nav.retention"},
	{"/admin/audit", "admin.nav.audit"},
}

// AdminOptions are what the node tells the admin pages.
type AdminOptions struct {
	// RetentionDefault is RETENTION_DAYS, shown and used when no admin
	// setting overrides it.
	RetentionDefault int
	// AfterSettings runs after an admin saved a setting or a holiday on
	// this node, so every domain applies it at once (other nodes reload
	// periodically).
	AfterSettings func(context.Context)
}

// adminRoutes registers the moderation-owned admin pages (admin only).
func (h *Handlers) adminRoutes(r chi.Router) {
	r.Use(auth.RequireRole(identity.RoleAdmin))
	r.Method(http.MethodGet, "/admin", web.Handler(h.handleAdminIndex))
	r.Method(http.MethodGet, "/admin/audit", web.Handler(h.handleAdminAudit))
	r.Method(http.MethodGet, "/api/v1/admin/audit", web.Handler(h.handleAdminAuditAPI))
	r.Method(http.MethodGet, "/admin/departments", web.Handler(h.handleAdminDepartments))
	r.Method(http.MethodPost, "/admin/departments", web.Handler(h.handleAdminDepartmentCreate))
	r.Method(http.MethodPost, "/admin/departments/{slug}", web.Handler(h.handleAdminDepartmentUpdate))
	r.Method(http.MethodGet, "/admin/canned", web.Handler(h.handleAdminCanned))
	r.Method(http.MethodPost, "/admin/canned", web.Handler(h.handleAdminCannedCreate))
	r.Method(http.MethodPost, "/admin/canned/{id}", web.Handler(h.handleAdminCannedUpdate))
	r.Method(http.MethodPost, "/admin/canned/{id}/delete", web.Handler(h.handleAdminCannedDelete))
	r.Method(http.MethodGet, "/admin/holidays", web.Handler(h.handleAdminHolidays))
	r.Method(http.MethodPost, "/admin/holidays", web.Handler(h.handleAdminHolidayCreate))
	r.Method(http.MethodPost, "/admin/holidays/{day}/delete", web.Handler(h.handleAdminHolidayDelete))
	r.Method(http.MethodGet, "/admin/sla", web.Handler(h.handleAdminSLA))
	r.Method(http.MethodPost, "/admin/sla", web.Handler(h.handleAdminSLASave))
	r.Method(http.MethodGet, "/admin/retention", web.Handler(h.handleAdminRetention))
	r.Method(http.MethodPost, "/admin/retention", web.Handler(h.handleAdminRetentionSave))
}

// adminPage is what every admin page of this package shows besides its data.
type adminPage struct {
	web.Page
	Flash string // after a redirect: what was done
	Error string // the form's problem; the input is kept
}

func newAdminPage(r *http.Request, titleKey string) adminPage {
	p := adminPage{Page: web.NewPage(r, titleKey)}
	if done := r.URL.Query().Get("done"); done != "" {
		if key := "admin.done." + done; p.Tr(key) != key {
			p.Flash = p.Tr(key)
		}
	}
	return p
}

// formError is the translated message of a validation error (its code's
// admin.error.* key, else its own message); other errors are returned.
func formError(p web.Page, err error) (string, error) {
	e := apperr.As(err)
	if e.Kind != apperr.Invalid && e.Kind != apperr.Conflict && e.Kind != apperr.NotFound {
		return "", err
	}
	if key := "admin.error." + e.Code; p.Tr(key) != key {
		return p.Tr(key), nil
	}
	return e.Message, nil
}

// adminDone redirects to path with ?done=what (POST → redirect → GET).
func adminDone(w http.ResponseWriter, r *http.Request, path, what string) error {
	http.Redirect(w, r, path+"?done="+what, http.StatusSeeOther)
	return nil
}

func (h *Handlers) afterSettings(ctx context.Context) {
	if h.Admin.AfterSettings != nil {
		h.Admin.AfterSettings(ctx)
		return
	}
	if err := h.svc.ReloadSettings(ctx); err != nil {
		h.svc.Log.Warn("reload settings", "err", err)
	}
}

type adminIndexPage struct {
	adminPage
	Links   []AdminLink
	Entries []AdminEntry
}

// handleAdminIndex serves GET /admin: the nav to every admin page and the
// latest admin actions.
func (h *Handlers) handleAdminIndex(w http.ResponseWriter, r *http.Request) error {
	p := adminIndexPage{adminPage: newAdminPage(r, "admin.title"), Links: AdminLinks}
	var err error
	if p.Entries, err = h.svc.Store.FindAdminAudit(r.Context(), AdminAuditFilter{Limit: 10}); err != nil {
		return err
	}
	return h.render.Render(w, r, http.StatusOK, "admin", p)
}

type adminAuditPage struct {
	adminPage
	Entries []AdminEntry
	Target  string
}

// handleAdminAudit serves GET /admin/audit[?target=]: the admin audit log.
func (h *Handlers) handleAdminAudit(w http.ResponseWriter, r *http.Request) error {
	p := adminAuditPage{adminPage: newAdminPage(r, "admin.audit.title"), Target: r.URL.Query().Get("target")}
	var err error
	if p.Entries, err = h.svc.Store.FindAdminAudit(r.Context(), AdminAuditFilter{Target: p.Target}); err != nil {
		return err
	}
	return h.render.Render(w, r, http.StatusOK, "admin_audit", p)
}

// handleAdminAuditAPI serves GET /api/v1/admin/audit[?target=].
func (h *Handlers) handleAdminAuditAPI(w http.ResponseWriter, r *http.Request) error {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	list, err := h.svc.Store.FindAdminAudit(r.Context(), AdminAuditFilter{Target: r.URL.Query().Get("target"), Limit: limit})
	if err != nil {
		return err
	}
	if list == nil {
		list = []AdminEntry{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"entries": list})
	return nil
}
