package forum

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5"
)

// questionID reads {id} (or {id}-{slug}) from the path.
func questionID(r *http.Request) (int64, error) {
	raw := chi.URLParam(r, "id")
	if i := strings.IndexByte(raw, '-'); i > 0 {
		raw = raw[:i]
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFoundf("no such question")
	}
	return id, nil
}

func viewerID(r *http.Request) *int64 {
	if u, ok := identity.From(r.Context()); ok {
		return &u.ID
	}
	return nil
}

// handleCategoryIndexAPI serves GET /api/v1/categories.
func (h *Handlers) handleCategoryIndexAPI(w http.ResponseWriter, r *http.Request) error {
	cats, err := h.svc.Store.FindCategories(r.Context())
	if err != nil {
		return err
	}
	if cats == nil {
		cats = []Category{}
	}
	web.JSON(w, http.StatusOK, cats)
	return nil
}

// handleQuestionCreateAPI serves POST /api/v1/questions (anonymous allowed).
func (h *Handlers) handleQuestionCreateAPI(w http.ResponseWriter, r *http.Request) error {
	if err := h.limitAsk(r); err != nil {
		return err
	}
	var n NewQuestion
	if err := web.DecodeJSON(w, r, &n); err != nil {
		return err
	}
	n.AuthorID = viewerID(r)
	if err := h.checkCaseCode(r, n.CaseCode); err != nil {
		return err
	}
	q, err := h.svc.Ask(r.Context(), n)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusCreated, map[string]any{
		"id": q.ID, "tracking_code": q.TrackingCode, "status": q.Status, "url": h.absURL(r, q.Path()),
	})
	return nil
}

// absURL makes path absolute on BASE_URL or, when it is not set, on the
// host the request came to (so a node reached at 192.168.1.5:8080 links
// there without configuration; behind a proxy, set BASE_URL).
func (h *Handlers) absURL(r *http.Request, path string) string {
	if h.baseURL != "" {
		return strings.TrimRight(h.baseURL, "/") + path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// handleQuestionIndexAPI serves GET /api/v1/questions?category=&sort=&page=.
func (h *Handlers) handleQuestionIndexAPI(w http.ResponseWriter, r *http.Request) error {
	f, err := h.filterFromQuery(r)
	if err != nil {
		return err
	}
	qs, total, err := h.svc.Store.FindQuestions(r.Context(), f)
	if err != nil {
		return err
	}
	for i := range qs {
		qs[i].URL = h.absURL(r, qs[i].Path())
	}
	if qs == nil {
		qs = []Question{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"questions": qs, "total": total, "page": f.Page})
	return nil
}

type questionJSON struct {
	Question
	Answer  *Reply  `json:"answer,omitempty"`
	Replies []Reply `json:"replies"`
}

// handleQuestionViewAPI serves GET /api/v1/questions/{id}: the question with
// its official answer once published. Private or unpublished questions are
// 404 except to their author, staff, or with ?code= (the tracking code).
func (h *Handlers) handleQuestionViewAPI(w http.ResponseWriter, r *http.Request) error {
	id, err := questionID(r)
	if err != nil {
		return err
	}
	q, err := h.svc.Store.FindQuestionByID(r.Context(), id)
	if err != nil {
		return err
	}
	viewer, _ := identity.From(r.Context())
	if !CanSee(q, viewer, r.URL.Query().Get("code")) {
		return apperr.NotFoundf("no such question")
	}
	out := questionJSON{Question: q, Replies: []Reply{}}
	out.URL = h.absURL(r, q.Path())
	if out.Answer, err = h.svc.Store.FindOfficialAnswer(r.Context(), id); err != nil {
		return err
	}
	if q.Public() {
		if out.Replies, err = h.svc.Store.FindReplies(r.Context(), id); err != nil {
			return err
		}
		h.svc.CountView(id)
	}
	web.JSON(w, http.StatusOK, out)
	return nil
}

// handleReplyCreateAPI serves POST /api/v1/questions/{id}/replies.
func (h *Handlers) handleReplyCreateAPI(w http.ResponseWriter, r *http.Request) error {
	id, err := questionID(r)
	if err != nil {
		return err
	}
	if err := h.limitAsk(r); err != nil {
		return err
	}
	var n NewReply
	if err := web.DecodeJSON(w, r, &n); err != nil {
		return err
	}
	n.AuthorID = viewerID(r)
	reply, err := h.svc.Reply(r.Context(), id, n)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusCreated, reply)
	return nil
}

// handleVoteAPI serves POST /api/v1/questions/{id}/votes.
func (h *Handlers) handleVoteAPI(w http.ResponseWriter, r *http.Request) error {
	id, err := questionID(r)
	if err != nil {
		return err
	}
	votes, added, err := h.vote(w, r, id)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, map[string]any{"votes": votes, "added": added})
	return nil
}

type reportRequest struct {
	Reason  string `json:"reason"`
	ReplyID *int64 `json:"reply_id"`
}

// handleReportAPI serves POST /api/v1/questions/{id}/reports.
func (h *Handlers) handleReportAPI(w http.ResponseWriter, r *http.Request) error {
	id, err := questionID(r)
	if err != nil {
		return err
	}
	if err := h.limitAsk(r); err != nil {
		return err
	}
	var req reportRequest
	if err := web.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	rid, err := h.svc.Report(r.Context(), id, req.ReplyID, req.Reason, viewerID(r))
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusCreated, map[string]any{"id": rid})
	return nil
}

// handleSearchAPI serves GET /api/v1/search?q=.
func (h *Handlers) handleSearchAPI(w http.ResponseWriter, r *http.Request) error {
	res, err := h.svc.Store.Search(r.Context(), r.URL.Query().Get("q"), 20, 0)
	if err != nil {
		return err
	}
	for i := range res {
		res[i].URL = h.absURL(r, res[i].URL)
	}
	if res == nil {
		res = []SearchResult{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"results": res})
	return nil
}

type reopenRequest struct {
	Reason string `json:"reason"`
}

// handleReopenAPI serves POST /api/v1/track/{code}/reopen.
func (h *Handlers) handleReopenAPI(w http.ResponseWriter, r *http.Request) error {
	var req reopenRequest
	if err := web.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	q, err := h.reopen(r, chi.URLParam(r, "code"), req.Reason)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, map[string]any{"id": q.ID, "status": q.Status})
	return nil
}

// reopen reopens the question of code for the viewer, within the
// tracking look-up budgets of the client's address: whether a code exists
// shows in the answer, so this door is limited like the tracking one.
func (h *Handlers) reopen(r *http.Request, code, reason string) (q Question, err error) {
	viewer, _ := identity.From(r.Context())
	err = h.svc.queue.LookupByCode(r.Context(), web.ClientIP(r), code, func(code string) (err error) {
		q, err = h.svc.Reopen(r.Context(), code, reason, viewer)
		return err
	})
	return q, err
}

// fieldOf returns the form field an error is about, if any.
func fieldOf(err error) string {
	var tag fieldTag
	if errors.As(err, &tag) {
		return string(tag)
	}
	return ""
}

// checkCaseCode looks a continued case's code up within the tracking
// look-up budgets, so that the ask form is no way around them to test
// codes; Enqueue links the question to the case afterwards.
func (h *Handlers) checkCaseCode(r *http.Request, code string) error {
	if strings.TrimSpace(code) == "" {
		return nil
	}
	err := h.svc.queue.LookupByCode(r.Context(), web.ClientIP(r), code, func(code string) error {
		_, err := h.svc.queue.Store.FindItemByTrackingCode(r.Context(), code)
		return err
	})
	if e := apperr.As(err); err != nil && e.Kind == apperr.NotFound {
		return fieldErr("case_code", "unknown_case_code", "no submission has this tracking code")
	}
	return err
}
