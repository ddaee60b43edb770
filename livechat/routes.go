package livechat

import (
	"net/http"

	"github.com/doithoai/doithoai/internal/auth"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5"
)

// Routes registers livechat's whole URL surface on r (inside the node's
// language, CSRF and session middleware).
func (s *Service) Routes(r chi.Router) {
	staff := auth.Staff
	// Support chats are the citizen's and the moderators' (admins stand
	// in): leaders answer in live sessions and read no one's support chat.
	chatOps := auth.RequireRole(chatOperatorRoles...)
	admin := auth.RequireRole(identity.RoleAdmin)
	leaders := auth.RequireRole(identity.RoleLeader, identity.RoleAdmin)

	r.Get("/ws", s.handleWS)
	r.Method(http.MethodGet, "/livechat/static/{hash}/{name}", assets)

	r.Route("/api/v1/conversations", func(r chi.Router) {
		r.Method(http.MethodPost, "/", web.Handler(s.handleConversationCreate))
		r.With(chatOps).Method(http.MethodGet, "/", web.Handler(s.handleConversationList))
		r.Method(http.MethodGet, "/{id}", web.Handler(s.handleConversationShow))
		r.With(chatOps).Method(http.MethodPost, "/{id}/accept", web.Handler(s.handleConversationAccept))
		r.Method(http.MethodPost, "/{id}/close", web.Handler(s.handleConversationClose))
		r.Method(http.MethodPost, "/{id}/rating", web.Handler(s.handleConversationRate))
	})
	r.Route("/api/v1/live-sessions", func(r chi.Router) {
		r.With(admin).Method(http.MethodPost, "/", web.Handler(s.handleSessionCreate))
		r.Method(http.MethodGet, "/", web.Handler(s.handleSessionList))
		r.Method(http.MethodGet, "/{id}", web.Handler(s.handleSessionShow))
		r.Method(http.MethodPost, "/{id}/questions", web.Handler(s.handleQuestionCreate))
		r.With(staff).Method(http.MethodPost, "/{id}/questions/{qid}/approve", s.handleQuestionModerate("approve"))
		r.With(staff).Method(http.MethodPost, "/{id}/questions/{qid}/reject", s.handleQuestionModerate("reject"))
		r.With(staff).Method(http.MethodPost, "/{id}/order", web.Handler(s.handleQuestionOrder))
		r.With(leaders).Method(http.MethodPost, "/{id}/answers", web.Handler(s.handleAnswerCreate))
		r.With(staff).Method(http.MethodPost, "/{id}/questions/{qid}/publish", web.Handler(s.handlePublishAPI))
		r.With(leaders).Method(http.MethodPost, "/{id}/end", web.Handler(s.handleSessionEnd))
	})

	r.Method(http.MethodGet, "/giao-luu", web.Handler(s.handleSessionIndex))
	r.With(admin).Method(http.MethodGet, "/giao-luu/moi", web.Handler(s.handleScheduleForm))
	r.With(admin).Method(http.MethodPost, "/giao-luu/moi", web.Handler(s.handleScheduleForm))
	r.Method(http.MethodGet, "/giao-luu/{id}", web.Handler(s.handleSessionPage))
	r.Method(http.MethodPost, "/giao-luu/{id}/hoi", web.Handler(s.handleQuestionForm))
	r.With(staff).Method(http.MethodGet, "/giao-luu/{id}/dieu-phoi", web.Handler(s.handleDeskPage))
	r.With(leaders).Method(http.MethodGet, "/giao-luu/{id}/tra-loi", web.Handler(s.handleLeaderPage))
	r.With(staff).Method(http.MethodPost, "/giao-luu/{id}/cau-hoi/{qid}/dang-dien-dan", web.Handler(s.handlePublishForm))
	r.Method(http.MethodGet, "/chat", web.Handler(s.handleChatPage))
	r.Method(http.MethodPost, "/chat", web.Handler(s.handleChatOpen))
	r.Method(http.MethodPost, "/chat/offline", web.Handler(s.handleChatOffline))
	r.With(chatOps).Method(http.MethodGet, "/chat/console", web.Handler(s.handleConsolePage))
}

// assets are the client's files (static/), under content-hashed URLs.
var assets = web.NewAssets(assetsFS, "static", "/livechat/static/")

func assetURL(name string) string { return assets.URL(name) }
