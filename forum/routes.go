package forum

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/auth"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/ratelimit"
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

// Submissions (questions, replies, reports) allowed per address per window:
// enough for a commune behind one carrier address, not for a spam script.
const (
	submitLimit  = 30
	submitWindow = 10 * time.Minute
)

// Handlers serves the forum's pages and API.
type Handlers struct {
	svc     *Service
	render  *web.Renderer
	limiter ratelimit.Limiter
	voters  *voterTokens
	baseURL string
	pages   *pageCache // nil: no page cache
}

// Options are what the handlers need from the node.
type Options struct {
	Limiter ratelimit.Limiter // submissions and anonymous votes per address
	BaseURL string            // makes absolute links (API, feed)
	// SigningKey returns the node's signing key (at least 32 bytes, the
	// same on every node), which signs anonymous voters' cookies; asked
	// for on first use and kept once it answers.
	SigningKey    func(context.Context) ([]byte, error)
	SecureCookies bool
	// PageCacheBytes bounds the anonymous question pages kept in memory
	// (page_cache.go): 0 means DefaultPageCacheBytes, below 0 no cache.
	PageCacheBytes int64
}

// NewHandlers builds the handlers.
func NewHandlers(svc *Service, o Options) (*Handlers, error) {
	if o.SigningKey == nil {
		return nil, errors.New("forum: no signing key")
	}
	rd, err := web.NewRenderer(templatesFS, "templates", template.FuncMap{
		"html":      func(s string) template.HTML { return template.HTML(s) }, // only for sanitized HTML
		"titleHTML": func(title, q string) template.HTML { return template.HTML(TitleHTML(title, q)) },
		"list":      func(s ...string) []string { return s },
	})
	if err != nil {
		return nil, err
	}
	h := &Handlers{svc: svc, render: rd, limiter: o.Limiter, voters: &voterTokens{source: o.SigningKey, secure: o.SecureCookies}, baseURL: o.BaseURL}
	switch {
	case o.PageCacheBytes == 0:
		h.pages = newPageCache(DefaultPageCacheBytes)
	case o.PageCacheBytes > 0:
		h.pages = newPageCache(o.PageCacheBytes)
	}
	return h, nil
}

// Routes registers every forum route on r.
func (h *Handlers) Routes(r chi.Router) {
	r.Method(http.MethodGet, "/api/v1/categories", web.Handler(h.handleCategoryIndexAPI))
	r.Group(h.adminRoutes)
	r.Method(http.MethodGet, "/api/v1/questions", web.Handler(h.handleQuestionIndexAPI))
	r.Method(http.MethodPost, "/api/v1/questions", web.Handler(h.handleQuestionCreateAPI))
	r.Method(http.MethodGet, "/api/v1/questions/{id}", web.Handler(h.handleQuestionViewAPI))
	r.Method(http.MethodPost, "/api/v1/questions/{id}/replies", web.Handler(h.handleReplyCreateAPI))
	r.Method(http.MethodPost, "/api/v1/questions/{id}/votes", web.Handler(h.handleVoteAPI))
	r.Method(http.MethodPost, "/api/v1/questions/{id}/reports", web.Handler(h.handleReportAPI))
	r.Method(http.MethodGet, "/api/v1/search", web.Handler(h.handleSearchAPI))
	r.Method(http.MethodPost, "/api/v1/track/{code}/reopen", web.Handler(h.handleReopenAPI))

	r.Method(http.MethodGet, "/", web.Handler(h.handleHome))
	r.Method(http.MethodGet, "/danh-muc/{slug}", web.Handler(h.handleCategoryView))
	r.Method(http.MethodGet, "/cau-hoi/{id}", web.Handler(h.handleQuestionView))
	r.Method(http.MethodPost, "/cau-hoi/{id}/tra-loi", web.Handler(h.handleReplyForm))
	r.Method(http.MethodPost, "/cau-hoi/{id}/cung-hoi", web.Handler(h.handleVoteForm))
	r.Method(http.MethodPost, "/cau-hoi/{id}/bao-cao", web.Handler(h.handleReportForm))
	r.Method(http.MethodGet, "/hoi", web.Handler(h.handleAskPage))
	r.Method(http.MethodPost, "/hoi", web.Handler(h.handleAskForm))
	r.Method(http.MethodGet, "/hoi/da-gui", web.Handler(h.handleAskDone))
	r.Method(http.MethodGet, "/tra-cuu", web.Handler(h.handleTrackPage))
	r.Method(http.MethodPost, "/tra-cuu/mo-lai", web.Handler(h.handleReopenForm))
	r.Method(http.MethodPost, "/tra-cuu/tra-loi", web.Handler(h.handleTrackReplyForm))
	r.Method(http.MethodGet, "/tim-kiem", web.Handler(h.handleSearchPage))
	r.With(auth.RequireRole(identity.RoleCitizen, identity.RoleModerator, identity.RoleLeader, identity.RoleAdmin)).
		Method(http.MethodGet, "/cua-toi", web.Handler(h.handleMine))
	r.Method(http.MethodGet, "/feed.atom", web.Handler(h.handleFeed))
}

// limitAsk limits submissions per client address.
func (h *Handlers) limitAsk(r *http.Request) error {
	if u, ok := identity.From(r.Context()); ok && u.IsStaff() {
		return nil
	}
	ok, retry, err := h.limiter.Allow(r.Context(), "submit:"+web.ClientIP(r), submitLimit, submitWindow)
	if err != nil {
		return nil // an unavailable limiter must not stop citizens from asking
	}
	if !ok {
		return &apperr.Error{Kind: apperr.TooMany, Code: "too_many_submissions", Message: "too many submissions from your address; try again later", RetryAfter: retry}
	}
	return nil
}

// setRetryAfter tells a rate-limited client when to come back (web.Error
// does it for errors; pages that show the error in place do it here).
func setRetryAfter(w http.ResponseWriter, e *apperr.Error) {
	if e.Kind == apperr.TooMany && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
}

// filterFromQuery reads ?category=&sort=&page=.
func (h *Handlers) filterFromQuery(r *http.Request) (QuestionFilter, error) {
	q := r.URL.Query()
	f := QuestionFilter{Sort: q.Get("sort")}
	switch f.Sort {
	case "", SortNewest, SortMostAsk, SortAnswered:
	default:
		return f, apperr.Invalidf("bad_sort", "sort must be newest, most_asked or recently_answered")
	}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 10000 {
			return f, apperr.Invalidf("bad_page", "page must be a number from 1")
		}
		f.Page = n
	}
	if slug := q.Get("category"); slug != "" {
		c, err := h.svc.Store.FindCategoryBySlug(r.Context(), slug)
		if err != nil {
			return f, err
		}
		f.CategoryID = &c.ID
	}
	return f, nil
}
