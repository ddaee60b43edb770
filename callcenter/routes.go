package callcenter

import (
	"net/http"

	"github.com/doithoai/doithoai/internal/auth"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5"
)

// Routes registers the hotline's HTTP API on r (absolute paths, as the
// other domains do). Everything is for staff; the menu and prompts for
// admins only.
func (c *Center) Routes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(auth.Staff)
		r.Method(http.MethodGet, "/api/v1/hotline/tickets/{id}/recording", web.Handler(c.handleRecording))
		r.Method(http.MethodGet, "/api/v1/hotline/tickets/{id}", web.Handler(c.handleTicketView))
		r.Method(http.MethodGet, "/api/v1/hotline/tickets/{id}/answer-audio", web.Handler(c.handleAnswerAudio))
		r.Method(http.MethodPut, "/api/v1/hotline/tickets/{id}/answer-audio", web.Handler(c.handleAnswerAudioUpdate))
		r.Method(http.MethodGet, "/api/v1/hotline/callbacks", web.Handler(c.handleCallbackIndex))
		r.Method(http.MethodPost, "/api/v1/hotline/callbacks/{id}/done", web.Handler(c.handleCallbackDone))
		r.Method(http.MethodGet, "/api/v1/hotline/callbacks/{id}/attempts", web.Handler(c.handleCallbackAttemptIndex))
		r.Method(http.MethodPost, "/api/v1/hotline/callbacks/{id}/attempts", web.Handler(c.handleCallbackAttempt))
		r.Method(http.MethodGet, "/api/v1/hotline/live-questions/{id}/recording", web.Handler(c.handleLiveRecording))
		r.Method(http.MethodGet, "/api/v1/hotline/calls", web.Handler(c.handleCallIndex))
		r.Method(http.MethodGet, "/api/v1/hotline/agents", web.Handler(c.handleAgentIndex))
		r.Method(http.MethodGet, "/hotline", web.Handler(c.handleDesk))
		r.Method(http.MethodPost, "/hotline/callbacks/{id}/done", web.Handler(c.handleDeskCallbackDone))
		r.Method(http.MethodPost, "/hotline/callbacks/{id}/attempts", web.Handler(c.handleDeskCallbackAttempt))
		r.Method(http.MethodPost, "/hotline/call-notes", web.Handler(c.handleDeskCallNote))
	})
	r.Group(func(r chi.Router) {
		r.Use(auth.RequireRole(identity.RoleAdmin))
		r.Method(http.MethodGet, "/api/v1/hotline/menu", web.Handler(c.handleMenuView))
		r.Method(http.MethodPut, "/api/v1/hotline/menu", web.Handler(c.handleMenuUpdate))
		r.Method(http.MethodPut, "/api/v1/hotline/prompts/{code}/{name}", web.Handler(c.handlePromptUpdate))
		r.Method(http.MethodGet, "/api/v1/hotline/prompts/{code}/{name}", web.Handler(c.handlePromptAudio))
		r.Method(http.MethodGet, "/api/v1/hotline/languages", web.Handler(c.handleLanguageIndex))
		r.Method(http.MethodPut, "/api/v1/hotline/languages/{code}", web.Handler(c.handleLanguagePut))
		r.Method(http.MethodGet, "/admin/hotline/languages", web.Handler(c.handleAdminLanguages))
		r.Method(http.MethodPost, "/admin/hotline/languages", web.Handler(c.handleAdminLanguageSave))
		r.Method(http.MethodGet, "/admin/hotline/prompts", web.Handler(c.handleAdminPrompts))
		r.Method(http.MethodPost, "/admin/hotline/prompts", web.Handler(c.handleAdminPromptUpload))
		r.Method(http.MethodGet, "/admin/hotline/topics", web.Handler(c.handleAdminTopics))
		r.Method(http.MethodPost, "/admin/hotline/topics", web.Handler(c.handleAdminTopicsSave))
		r.Method(http.MethodGet, "/admin/hotline/hours", web.Handler(c.handleAdminHours))
		r.Method(http.MethodPost, "/admin/hotline/hours", web.Handler(c.handleAdminHoursSave))
	})
}
