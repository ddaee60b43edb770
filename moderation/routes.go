package moderation

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/doithoai/doithoai/internal/auth"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5"
)

//go:embed templates/*.html
var templatesFS embed.FS

//go:embed messages/*.json
var messagesFS embed.FS

// Templates are this package's page templates (exported for tests that
// check every message key they use exists).
var Templates fs.FS = templatesFS

// Messages is this package's message catalog.
var Messages fs.FS = messagesFS

// Handlers serves the moderation API and the moderator console.
type Handlers struct {
	svc    *Service
	events *Events
	render *web.Renderer
	// Admin is set by the node before it serves (handlers_admin.go).
	Admin AdminOptions
}

// NewHandlers builds the handlers.
func NewHandlers(svc *Service, events *Events) (*Handlers, error) {
	rd, err := web.NewRenderer(templatesFS, "templates", template.FuncMap{
		"overdue": func(it Item) bool { return it.Overdue(time.Now()) },
		"mask":    MaskContact,
		"isoDate": isoDate,
	})
	if err != nil {
		return nil, err
	}
	return &Handlers{svc: svc, events: events, render: rd}, nil
}

// Routes registers every route of the moderation package on r (paths are
// absolute: the API contract fixes them).
func (h *Handlers) Routes(r chi.Router) {
	r.Method(http.MethodGet, "/api/v1/track/{code}", web.Handler(h.handleTrack))
	r.Method(http.MethodPost, "/api/v1/track/{code}/reply", web.Handler(h.handleTrackReply))
	r.Method(http.MethodGet, "/api/v1/sms/inbound", web.Handler(h.handleSMSInbound))
	r.Group(func(r chi.Router) {
		r.Use(auth.Staff)
		r.Method(http.MethodGet, "/api/v1/moderation/items", web.Handler(h.handleItemIndex))
		r.Method(http.MethodGet, "/api/v1/moderation/items/{id}", web.Handler(h.handleItemView))
		r.Method(http.MethodPost, "/api/v1/moderation/claim", web.Handler(h.handleClaimNext))
		r.Method(http.MethodPost, "/api/v1/moderation/items/{id}/{action}", web.Handler(h.handleItemAction))
		r.Method(http.MethodGet, "/api/v1/moderation/canned-answers", web.Handler(h.handleCannedIndex))
		r.With(auth.RequireRole(identity.RoleAdmin, identity.RoleModerator)).Method(http.MethodPost, "/api/v1/moderation/canned-answers", web.Handler(h.handleCannedCreate))
		r.Method(http.MethodGet, "/api/v1/moderation/departments", web.Handler(h.handleDepartmentIndex))

		r.Method(http.MethodGet, "/console", web.Handler(h.handleConsole))
		r.Method(http.MethodGet, "/console/queue", web.Handler(h.handleConsoleQueue))
		r.Get("/console/events", h.events.ServeSSE)
		r.Method(http.MethodPost, "/console/claim", web.Handler(h.handleConsoleClaimNext))
		r.Method(http.MethodGet, "/console/items/{id}", web.Handler(h.handleConsoleItem))
		r.Method(http.MethodPost, "/console/items/{id}/{action}", web.Handler(h.handleConsoleAction))
	})
	r.Group(h.adminRoutes)
}
