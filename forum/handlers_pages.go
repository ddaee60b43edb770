package forum

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
	"github.com/go-chi/chi/v5"
)

type listPage struct {
	web.Page
	Categories []Category
	Category   *Category
	Questions  []Question
	Sort       string
	PageNum    int
	HasPrev    bool
	HasNext    bool
	BasePath   string
}

func (p listPage) PageURL(n int) string {
	v := url.Values{}
	if p.Sort != "" {
		v.Set("sort", p.Sort)
	}
	v.Set("page", strconv.Itoa(n))
	return p.BasePath + "?" + v.Encode()
}

func (p listPage) SortURL(sort string) string { return p.BasePath + "?sort=" + sort }

func (h *Handlers) renderList(w http.ResponseWriter, r *http.Request, cat *Category) error {
	f, err := h.filterFromQuery(r)
	if err != nil {
		return err
	}
	title := "forum.home_title"
	p := listPage{Sort: f.Sort, BasePath: "/"}
	if cat != nil {
		f.CategoryID = &cat.ID
		p.Category, p.BasePath = cat, "/danh-muc/"+cat.Slug
	}
	if p.Questions, _, err = h.svc.Store.FindQuestions(r.Context(), f); err != nil {
		return err
	}
	if p.Categories, err = h.svc.Store.FindCategories(r.Context()); err != nil {
		return err
	}
	if f.Page < 1 {
		f.Page = 1
	}
	p.PageNum, p.HasPrev, p.HasNext = f.Page, f.Page > 1, len(p.Questions) == 20
	if cat != nil {
		p.Page = web.NewPage(r, "forum.category_title", cat.Name)
	} else {
		p.Page = web.NewPage(r, title)
	}
	return h.render.Render(w, r, http.StatusOK, "home", p)
}

// handleHome serves GET /: categories and the latest public questions.
func (h *Handlers) handleHome(w http.ResponseWriter, r *http.Request) error {
	return h.renderList(w, r, nil)
}

// handleCategoryView serves GET /danh-muc/{slug}.
func (h *Handlers) handleCategoryView(w http.ResponseWriter, r *http.Request) error {
	c, err := h.svc.Store.FindCategoryBySlug(r.Context(), chi.URLParam(r, "slug"))
	if err != nil {
		return err
	}
	return h.renderList(w, r, &c)
}

type questionPage struct {
	web.Page
	Q        Question
	Replies  []Reply
	Code     string
	Notice   string
	Error    string
	Field    string
	Reply    string
	Name     string
	CanReply bool
}

// handleQuestionView serves GET /cau-hoi/{id}-{slug}. Anonymous views of
// the bare address are served from the page cache (page_cache_serve.go).
func (h *Handlers) handleQuestionView(w http.ResponseWriter, r *http.Request) error {
	h.ensureVoter(w, r) // the page's vote button then counts this browser as itself
	if h.cacheable(r) {
		return h.serveQuestionCached(w, r)
	}
	return h.renderQuestion(w, r, http.StatusOK, questionPage{})
}

func (h *Handlers) renderQuestion(w http.ResponseWriter, r *http.Request, status int, p questionPage) error {
	redirect, err := h.loadQuestion(r, &p)
	if err != nil {
		return err
	}
	if redirect != nil {
		redirect(w)
		return nil
	}
	return h.render.Render(w, r, status, "question", p)
}

// loadQuestion fills p with the question page r asks for, or returns the
// redirect to its canonical address to send instead.
func (h *Handlers) loadQuestion(r *http.Request, p *questionPage) (redirect func(http.ResponseWriter), err error) {
	id, err := questionID(r)
	if err != nil {
		return nil, err
	}
	q, err := h.svc.Store.FindQuestionByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	viewer, _ := identity.From(r.Context())
	p.Code = r.URL.Query().Get("code")
	if !CanSee(q, viewer, p.Code) {
		return nil, apperr.NotFoundf("no such question")
	}
	// Old links with another slug still work; the canonical one is shown.
	// A confirmation (?done=) survives the move, on a 303: it is not the
	// permanent address.
	if r.Method == http.MethodGet && chi.URLParam(r, "id") != strconv.FormatInt(q.ID, 10)+"-"+q.Slug && q.Slug != "" && p.Code == "" {
		if done := r.URL.Query().Get("done"); done != "" {
			return func(w http.ResponseWriter) {
				http.Redirect(w, r, q.Path()+"?done="+url.QueryEscape(done), http.StatusSeeOther)
			}, nil
		}
		return func(w http.ResponseWriter) { http.Redirect(w, r, q.Path(), http.StatusMovedPermanently) }, nil
	}
	p.Page, p.Q = web.NewPage(r, "forum.question_title", q.Title), q
	p.Title = q.Title
	if p.Replies, err = h.svc.Store.FindReplies(r.Context(), id); err != nil {
		return nil, err
	}
	if !q.Public() { // the asker sees their private question and its official answer only
		var official []Reply
		for _, rep := range p.Replies {
			if rep.Official {
				official = append(official, rep)
			}
		}
		p.Replies = official
	} else {
		h.svc.CountView(id)
	}
	p.CanReply = q.Public() && q.Status != StatusClosed
	switch r.URL.Query().Get("done") {
	case "reply":
		p.Notice = p.Tr("forum.reply_sent")
	case "vote":
		p.Notice = p.Tr("forum.vote_counted")
	case "report":
		p.Notice = p.Tr("forum.report_sent")
	}
	return nil, nil
}

// formError renders a validation error back into the question page.
func (h *Handlers) formError(w http.ResponseWriter, r *http.Request, err error, p questionPage) error {
	e := apperr.As(err)
	if e.Kind != apperr.Invalid && e.Kind != apperr.Conflict && e.Kind != apperr.TooMany {
		return err
	}
	t := web.TranslatorFrom(r)
	p.Error, p.Field = translateErr(t.T, e), fieldOf(err)
	setRetryAfter(w, e)
	return h.renderQuestion(w, r, web.Status(e.Kind), p)
}

func translateErr(tr func(string, ...any) string, e *apperr.Error) string {
	if k := "forum.err." + e.Code; tr(k) != k {
		return tr(k)
	}
	return e.Message
}

// handleReplyForm serves POST /cau-hoi/{id}/tra-loi.
func (h *Handlers) handleReplyForm(w http.ResponseWriter, r *http.Request) error {
	id, err := questionID(r)
	if err != nil {
		return err
	}
	n := NewReply{Body: r.PostFormValue("body"), Name: r.PostFormValue("name"), Consent: r.PostFormValue("consent") != "", AuthorID: viewerID(r)}
	if err := h.limitAsk(r); err != nil {
		return h.formError(w, r, err, questionPage{Reply: n.Body, Name: n.Name})
	}
	if _, err := h.svc.Reply(r.Context(), id, n); err != nil {
		return h.formError(w, r, err, questionPage{Reply: n.Body, Name: n.Name})
	}
	http.Redirect(w, r, h.questionPath(r, id)+"?done=reply#replies", http.StatusSeeOther)
	return nil
}

// handleVoteForm serves POST /cau-hoi/{id}/cung-hoi ("I have this question too").
func (h *Handlers) handleVoteForm(w http.ResponseWriter, r *http.Request) error {
	id, err := questionID(r)
	if err != nil {
		return err
	}
	if _, _, err := h.vote(w, r, id); err != nil {
		return h.formError(w, r, err, questionPage{})
	}
	http.Redirect(w, r, h.questionPath(r, id)+"?done=vote", http.StatusSeeOther)
	return nil
}

// handleReportForm serves POST /cau-hoi/{id}/bao-cao.
func (h *Handlers) handleReportForm(w http.ResponseWriter, r *http.Request) error {
	id, err := questionID(r)
	if err != nil {
		return err
	}
	var replyID *int64
	if v := r.PostFormValue("reply_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return apperr.NotFoundf("no such reply")
		}
		replyID = &n
	}
	if err := h.limitAsk(r); err != nil {
		return h.formError(w, r, err, questionPage{})
	}
	if _, err := h.svc.Report(r.Context(), id, replyID, r.PostFormValue("reason"), viewerID(r)); err != nil {
		return h.formError(w, r, err, questionPage{})
	}
	http.Redirect(w, r, h.questionPath(r, id)+"?done=report", http.StatusSeeOther)
	return nil
}

type askPage struct {
	web.Page
	Categories []Category
	Form       NewQuestion
	Error      string
	Field      string
	Done       *Question
	Due        time.Time // when the answer is due (the SLA), on the confirmation
}

// handleAskPage serves GET /hoi.
func (h *Handlers) handleAskPage(w http.ResponseWriter, r *http.Request) error {
	cats, err := h.svc.Store.FindCategories(r.Context())
	if err != nil {
		return err
	}
	p := askPage{Page: web.NewPage(r, "forum.ask_title"), Categories: cats}
	p.Form.Category = r.URL.Query().Get("category")
	p.Form.Visibility = "public"
	p.Form.Kind = "question"
	p.Form.Name, p.Form.Contact = h.citizenDefaults(r)
	return h.render.Render(w, r, http.StatusOK, "ask", p)
}

// handleAskForm serves POST /hoi: the question is stored and the asker
// sees the tracking code; errors go back into the form, nothing stored.
func (h *Handlers) handleAskForm(w http.ResponseWriter, r *http.Request) error {
	n := NewQuestion{
		Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Category: r.PostFormValue("category"),
		Province: r.PostFormValue("province"), District: r.PostFormValue("district"), Commune: r.PostFormValue("commune"),
		Language: r.PostFormValue("language"), Kind: r.PostFormValue("kind"), Visibility: r.PostFormValue("visibility"),
		Name: r.PostFormValue("name"), Contact: r.PostFormValue("contact"), Consent: r.PostFormValue("consent") != "",
		CaseCode: r.PostFormValue("case_code"), AuthorID: viewerID(r), RequireConsent: true,
	}
	cats, err := h.svc.Store.FindCategories(r.Context())
	if err != nil {
		return err
	}
	p := askPage{Page: web.NewPage(r, "forum.ask_title"), Categories: cats, Form: n}
	err = h.limitAsk(r)
	if err == nil {
		err = h.checkCaseCode(r, n.CaseCode)
	}
	var q Question
	if err == nil {
		q, err = h.svc.Ask(r.Context(), n)
	}
	if err != nil {
		e := apperr.As(err)
		if e.Kind != apperr.Invalid && e.Kind != apperr.TooMany {
			return err
		}
		p.Error, p.Field = translateErr(p.T.T, e), fieldOf(err)
		return h.render.Render(w, r, web.Status(e.Kind), "ask", p)
	}
	// POST → redirect → GET: refreshing the confirmation files nothing.
	http.Redirect(w, r, "/hoi/da-gui?code="+url.QueryEscape(q.TrackingCode), http.StatusSeeOther)
	return nil
}

// handleAskDone serves GET /hoi/da-gui?code=: the confirmation of a
// question just sent, with its code, whether it waits for moderation and
// when it is due. It is a tracking look-up (the same per-address budget),
// so it tells a guesser no more than /tra-cuu does.
func (h *Handlers) handleAskDone(w http.ResponseWriter, r *http.Request) error {
	code := moderation.NormalizeCode(r.URL.Query().Get("code"))
	if code == "" {
		http.Redirect(w, r, "/hoi", http.StatusSeeOther)
		return nil
	}
	it, err := h.svc.queue.Track(r.Context(), web.ClientIP(r), code)
	if err != nil {
		return h.renderTrack(w, r, http.StatusOK, code, "", "")
	}
	q, err := h.svc.Store.FindQuestionByCode(r.Context(), code)
	if err != nil {
		return h.renderTrack(w, r, http.StatusOK, code, "", "")
	}
	p := askPage{Page: web.NewPage(r, "forum.ask_done_title"), Done: &q, Due: it.DueAt}
	return h.render.Render(w, r, http.StatusOK, "ask", p)
}

type trackPage struct {
	web.Page
	Code      string
	Tracking  *moderation.Tracking
	Q         *Question
	Answer    *Reply
	Error     string
	Notice    string
	CanReopen bool
	// Notices are what the citizen was told (moderation/notify's outbox).
	Notices []moderation.Notice
	// Sent and Due are when the submission came in and, while it is open,
	// when its answer is due; Text is what was asked (a forum question's
	// body is shown through Q), Answerer who answered a live question.
	Sent, Due time.Time
	Text      string
	Answerer  string
}

// handleTrackPage serves GET /tra-cuu?code=: the status and answer of any
// submission, forum or not, by its tracking code.
func (h *Handlers) handleTrackPage(w http.ResponseWriter, r *http.Request) error {
	notice := ""
	switch {
	case r.URL.Query().Get("replied") == "1":
		notice = web.TranslatorFrom(r).T("forum.track_replied")
	case r.URL.Query().Get("reopened") == "1":
		notice = web.TranslatorFrom(r).T("forum.reopened")
	}
	return h.renderTrack(w, r, http.StatusOK, r.URL.Query().Get("code"), "", notice)
}

// handleTrackReplyForm serves POST /tra-cuu/tra-loi: the citizen answers
// a request for more information; on success back to the tracking page
// (POST → redirect → GET), on error the page with the error in place.
func (h *Handlers) handleTrackReplyForm(w http.ResponseWriter, r *http.Request) error {
	code := r.PostFormValue("code")
	if _, err := h.svc.queue.CitizenReply(r.Context(), web.ClientIP(r), code, r.PostFormValue("body")); err != nil {
		e := apperr.As(err)
		if e.Kind == apperr.Internal {
			return err
		}
		setRetryAfter(w, e)
		return h.renderTrack(w, r, web.Status(e.Kind), code, translateErr(web.TranslatorFrom(r).T, e), "")
	}
	http.Redirect(w, r, "/tra-cuu?replied=1&code="+url.QueryEscape(moderation.NormalizeCode(code)), http.StatusSeeOther)
	return nil
}

func (h *Handlers) renderTrack(w http.ResponseWriter, r *http.Request, status int, code, errMsg, notice string) error {
	p := trackPage{Page: web.NewPage(r, "forum.track_title"), Code: moderation.NormalizeCode(code), Error: errMsg, Notice: notice}
	if p.Code != "" {
		it, err := h.svc.queue.Track(r.Context(), web.ClientIP(r), p.Code)
		if err != nil {
			switch e := apperr.As(err); e.Kind {
			case apperr.NotFound:
				p.Error, status = p.Tr("forum.track_unknown"), http.StatusNotFound
			case apperr.Invalid, apperr.TooMany: // a mistyped code, or too many look-ups
				p.Error, status = translateErr(p.T.T, e), web.Status(e.Kind)
				setRetryAfter(w, e)
			default:
				return err
			}
			return h.render.Render(w, r, status, "track", p)
		}
		t, err := h.svc.queue.TrackingView(r.Context(), it)
		if err != nil {
			return err
		}
		p.Tracking = &t
		if p.Notices, err = h.svc.queue.Notices(r.Context(), it); err != nil {
			return err
		}
		p.Sent = it.CreatedAt
		if it.Open() {
			p.Due = it.DueAt
		}
		if it.Source == moderation.SourceLiveQuestion {
			p.Text = it.Content
			if p.Answerer, err = h.svc.queue.Store.FindAnswerer(r.Context(), it.ID); err != nil {
				return err
			}
		}
		if it.Source == moderation.SourceForumQuestion {
			if q, err := h.svc.Store.FindQuestionByCode(r.Context(), p.Code); err == nil {
				p.Q = &q
				if p.Answer, err = h.svc.Store.FindOfficialAnswer(r.Context(), q.ID); err != nil {
					return err
				}
				p.CanReopen = q.Status == StatusAnswered && q.ReopenCount == 0
			}
		}
	}
	return h.render.Render(w, r, status, "track", p)
}

// handleReopenForm serves POST /tra-cuu/mo-lai.
func (h *Handlers) handleReopenForm(w http.ResponseWriter, r *http.Request) error {
	code := r.PostFormValue("code")
	if _, err := h.reopen(r, code, r.PostFormValue("reason")); err != nil {
		e := apperr.As(err)
		if e.Kind == apperr.Internal {
			return err
		}
		return h.renderTrack(w, r, web.Status(e.Kind), code, translateErr(web.TranslatorFrom(r).T, e), "")
	}
	http.Redirect(w, r, "/tra-cuu?reopened=1&code="+url.QueryEscape(moderation.NormalizeCode(code)), http.StatusSeeOther)
	return nil
}

type searchPage struct {
	web.Page
	Query   string
	Results []SearchResult
	Error   string
}

// handleSearchPage serves GET /tim-kiem?q=.
func (h *Handlers) handleSearchPage(w http.ResponseWriter, r *http.Request) error {
	p := searchPage{Page: web.NewPage(r, "forum.search_title"), Query: r.URL.Query().Get("q")}
	if p.Query != "" {
		res, err := h.svc.Store.Search(r.Context(), p.Query, 20, 0)
		if e := apperr.As(err); err != nil && e.Kind != apperr.Invalid {
			return err
		} else if err != nil {
			p.Error = translateErr(p.T.T, e)
		}
		p.Results = res
	}
	return h.render.Render(w, r, http.StatusOK, "search", p)
}

type minePage struct {
	web.Page
	Questions []Question
}

// handleMine serves GET /cua-toi: a signed-in citizen's own questions.
func (h *Handlers) handleMine(w http.ResponseWriter, r *http.Request) error {
	u, _ := identity.From(r.Context())
	qs, err := h.svc.Store.FindQuestionsByAuthor(r.Context(), u.ID)
	if err != nil {
		return err
	}
	return h.render.Render(w, r, http.StatusOK, "mine", minePage{Page: web.NewPage(r, "forum.mine_title"), Questions: qs})
}

// questionPath is the question's canonical page (one redirect fewer for a
// citizen on a slow line), or its bare id path when it cannot be read.
func (h *Handlers) questionPath(r *http.Request, id int64) string {
	if q, err := h.svc.Store.FindQuestionByID(r.Context(), id); err == nil {
		return q.Path()
	}
	return "/cau-hoi/" + strconv.FormatInt(id, 10)
}

// citizenDefaults are the signed-in citizen's name and login (a phone
// number or an e-mail address), filled into the ask form.
func (h *Handlers) citizenDefaults(r *http.Request) (name, contact string) {
	u, ok := identity.From(r.Context())
	if !ok || u.Role != identity.RoleCitizen {
		return "", ""
	}
	return u.DisplayName, u.Login
}
