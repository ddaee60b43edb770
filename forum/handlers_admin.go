package forum

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/auth"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5"
)

// adminRoutes registers /admin/categories (admin only).
func (h *Handlers) adminRoutes(r chi.Router) {
	r.Use(auth.RequireRole(identity.RoleAdmin))
	r.Method(http.MethodGet, "/admin/categories", web.Handler(h.handleAdminCategories))
	r.Method(http.MethodPost, "/admin/categories", web.Handler(h.handleAdminCategoryCreate))
	r.Method(http.MethodPost, "/admin/categories/{id}", web.Handler(h.handleAdminCategoryUpdate))
}

type adminCategoriesPage struct {
	web.Page
	Categories []AdminCategory
	New        AdminCategory // the create form as typed
	EditID     int64         // the row whose save failed, shown as typed
	Edit       AdminCategory
	Flash      string
	Error      string
}

func (h *Handlers) renderAdminCategories(w http.ResponseWriter, r *http.Request, status int, p adminCategoriesPage) error {
	var err error
	if p.Categories, err = h.svc.Store.FindAdminCategories(r.Context()); err != nil {
		return err
	}
	return h.render.Render(w, r, status, "admin_categories", p)
}

// handleAdminCategories serves GET /admin/categories.
func (h *Handlers) handleAdminCategories(w http.ResponseWriter, r *http.Request) error {
	p := adminCategoriesPage{Page: web.NewPage(r, "admin.categories.title"), New: AdminCategory{Moderation: "pre"}}
	if done := r.URL.Query().Get("done"); done == "created" || done == "saved" {
		p.Flash = p.Tr("admin.categories.done." + done)
	}
	return h.renderAdminCategories(w, r, http.StatusOK, p)
}

// categoryForm reads the category form; a position that is not a number
// is refused rather than read as 0.
func categoryForm(r *http.Request) (AdminCategory, error) {
	c := AdminCategory{Slug: r.PostFormValue("slug"), Name: r.PostFormValue("name"), NameEN: r.PostFormValue("name_en"),
		Description: r.PostFormValue("description"), Moderation: r.PostFormValue("moderation")}
	if v := strings.TrimSpace(r.PostFormValue("position")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return c, apperr.Invalidf("bad_position", "the position must be a whole number")
		}
		c.Position = n
	}
	return c, nil
}

func categoryError(p web.Page, err error) (string, error) {
	e := apperr.As(err)
	if e.Kind != apperr.Invalid && e.Kind != apperr.Conflict {
		return "", err
	}
	if key := "admin.categories.error." + e.Code; p.Tr(key) != key {
		return p.Tr(key), nil
	}
	return e.Message, nil
}

// handleAdminCategoryCreate serves POST /admin/categories.
func (h *Handlers) handleAdminCategoryCreate(w http.ResponseWriter, r *http.Request) error {
	u, _ := identity.From(r.Context())
	c, err := categoryForm(r)
	if err == nil {
		_, err = h.svc.Store.CreateCategory(r.Context(), u, c)
	}
	if err != nil {
		p := adminCategoriesPage{Page: web.NewPage(r, "admin.categories.title"), New: c}
		if p.Error, err = categoryError(p.Page, err); err != nil {
			return err
		}
		return h.renderAdminCategories(w, r, http.StatusUnprocessableEntity, p)
	}
	http.Redirect(w, r, "/admin/categories?done=created", http.StatusSeeOther)
	return nil
}

// handleAdminCategoryUpdate serves POST /admin/categories/{id}.
func (h *Handlers) handleAdminCategoryUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id", "category")
	if err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	c, err := categoryForm(r)
	c.ID = id
	if err == nil {
		err = h.svc.Store.UpdateCategory(r.Context(), u, c)
	}
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return err
		}
		p := adminCategoriesPage{Page: web.NewPage(r, "admin.categories.title"), New: AdminCategory{Moderation: "pre"}, EditID: id, Edit: c}
		if p.Error, err = categoryError(p.Page, err); err != nil {
			return err
		}
		return h.renderAdminCategories(w, r, http.StatusUnprocessableEntity, p)
	}
	http.Redirect(w, r, "/admin/categories?done=saved", http.StatusSeeOther)
	return nil
}
