package feedback

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/doithoai/doithoai/internal/auth"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
	"github.com/go-chi/chi/v5"
)

//go:embed templates/*.html
var templatesFS embed.FS

//go:embed messages/*.json
var messagesFS embed.FS

// Messages is this package's message catalog (it also uses moderation's
// source.* and status.* keys, which the node loads beside it).
var Messages fs.FS = messagesFS

// Handlers serves the leaders' dashboard, the feedback API and directive
// tracking.
type Handlers struct {
	svc    *moderation.Service
	store  *Store
	render *web.Renderer
	loc    *time.Location
	now    func() time.Time
}

// NewHandlers builds the handlers; days are counted in the SLA's zone.
func NewHandlers(svc *moderation.Service, store *Store) (*Handlers, error) {
	loc := svc.SLA.Location
	if loc == nil {
		loc = time.UTC
	}
	rd, err := web.NewRenderer(templatesFS, "templates", template.FuncMap{
		"day": func(t time.Time) string { return t.In(loc).Format("02/01/2006") },
	})
	if err != nil {
		return nil, err
	}
	return &Handlers{svc: svc, store: store, render: rd, loc: loc, now: time.Now}, nil
}

var (
	leaders = auth.RequireRole(identity.RoleLeader, identity.RoleAdmin)
	staff   = auth.Staff
)

// Routes registers every route of the package on r, with absolute paths.
// Figures and the inbox are for leaders and admins; directive tracking is
// for all staff (moderators mark directives done); sign-off is a leader's
// (Service.SignOff refuses anyone else).
func (h *Handlers) Routes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(leaders)
		r.Method(http.MethodGet, "/api/v1/feedback/summary", web.Handler(h.handleSummary))
		r.Method(http.MethodGet, "/api/v1/feedback/trend", web.Handler(h.handleTrend))
		r.Method(http.MethodGet, "/api/v1/feedback/export.csv", web.Handler(h.handleExport))
		r.Method(http.MethodGet, "/api/v1/feedback/escalated", web.Handler(h.handleEscalatedIndex))
		r.Method(http.MethodPost, "/api/v1/feedback/items/{id}/sign-off", web.Handler(h.handleSignOff))

		r.Method(http.MethodGet, "/dashboard", web.Handler(h.handleDashboard))
		r.Method(http.MethodGet, "/dashboard/print", web.Handler(h.handleDashboardPrint))
		r.Method(http.MethodGet, "/dashboard/escalated", web.Handler(h.handleInbox))
		r.Method(http.MethodPost, "/dashboard/items/{id}/sign-off", web.Handler(h.handleInboxSignOff))
	})
	r.Group(func(r chi.Router) {
		r.Use(staff)
		r.Method(http.MethodGet, "/api/v1/directives", web.Handler(h.handleDirectiveIndex))
		r.Method(http.MethodPost, "/api/v1/directives/{id}/done", web.Handler(h.handleDirectiveDone))
		r.Method(http.MethodGet, "/directives", web.Handler(h.handleDirectivesPage))
		r.Method(http.MethodPost, "/directives/{id}/done", web.Handler(h.handleDirectiveDoneForm))
	})
}
