package feedback

import (
	"net/http"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
)

func sourceOf(k string) moderation.Source { return moderation.Source(k) }

// directivesPage is the data of directives.html.
type directivesPage struct {
	web.Page
	List   []DirectiveRow
	Status string
	Tabs   []string
	Flash  string
	Error  string
	L      moderation.Labels
}

// handleDirectivesPage serves GET /directives?status=open|overdue|done|all
// (staff): directives to carry out, with a form to mark one done.
func (h *Handlers) handleDirectivesPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderDirectives(w, r, http.StatusOK, "")
}

func (h *Handlers) renderDirectives(w http.ResponseWriter, r *http.Request, status int, errMsg string) error {
	p := directivesPage{Page: web.NewPage(r, "fb.directives.title"), Status: r.URL.Query().Get("status"),
		Tabs: []string{"open", "overdue", "done", "all"}, Error: errMsg}
	p.Wide = true
	if p.Status == "" {
		p.Status = "open"
	}
	f := DirectiveFilter{Status: p.Status}
	if f.Status == "all" {
		f.Status = ""
	}
	if r.URL.Query().Get("flash") == "done" {
		p.Flash = p.Tr("fb.directives.done_flash")
	}
	var err error
	if p.List, err = h.store.FindDirectives(r.Context(), f, h.now()); err != nil {
		return err
	}
	if p.L, err = h.svc.Labels(r.Context(), p.T); err != nil {
		return err
	}
	return h.render.Render(w, r, status, "directives", p)
}

// handleDirectiveDoneForm serves POST /directives/{id}/done, the form on
// the directives page (and on any page that passes next=).
func (h *Handlers) handleDirectiveDoneForm(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id", "directive")
	if err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	if _, err := h.svc.CompleteDirective(r.Context(), u, id, r.PostFormValue("note")); err != nil {
		e := apperr.As(err)
		if e.Kind == apperr.Internal || e.Kind == apperr.NotFound {
			return err
		}
		return h.renderDirectives(w, r, web.Status(e.Kind), formError(web.TranslatorFrom(r).T, e))
	}
	next := r.PostFormValue("next")
	if web.LocalPath(next) == "" {
		next = "/directives?flash=done"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}
