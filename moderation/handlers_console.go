package moderation

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5"
)

type consolePage struct {
	web.Page
	Items    []Item
	Total    int
	Sources  []Source
	Statuses []string
	// The filter as typed, to refill the form.
	FStatus, FSource, FCategory, FProvince string
	Flash                                  string
	QueueURL                               string
	L                                      Labels
}

func (h *Handlers) consoleData(r *http.Request) (consolePage, error) {
	p := consolePage{Page: web.NewPage(r, "console.title"), Sources: Sources, Statuses: Statuses}
	p.Wide = true
	q := r.URL.Query()
	if !q.Has("status") {
		q.Set("status", "pending,approved,info_requested")
		r.URL.RawQuery = q.Encode()
	}
	f, err := filterFromQuery(r)
	if err != nil {
		return p, err
	}
	p.FStatus, p.FSource, p.FCategory, p.FProvince = q.Get("status"), q.Get("source"), q.Get("category"), q.Get("province")
	p.QueueURL = "/console/queue?" + q.Encode()
	if p.Items, p.Total, err = h.svc.Store.FindItems(r.Context(), f); err != nil {
		return p, err
	}
	if p.L, err = h.svc.Labels(r.Context(), p.T); err != nil {
		return p, err
	}
	viewer, _ := identity.From(r.Context())
	for i := range p.Items {
		p.Items[i] = ForRole(p.Items[i], viewer)
	}
	switch q.Get("flash") {
	case "empty":
		p.Flash = p.Tr("console.nothing_waiting")
	case "released":
		p.Flash = p.Tr("console.done.release")
	}
	return p, nil
}

// handleConsole serves GET /console: the live queue.
func (h *Handlers) handleConsole(w http.ResponseWriter, r *http.Request) error {
	p, err := h.consoleData(r)
	if err != nil {
		return err
	}
	return h.render.Render(w, r, http.StatusOK, "console", p)
}

// handleConsoleQueue serves GET /console/queue: the queue table alone, which
// the console's script swaps in when an event arrives.
func (h *Handlers) handleConsoleQueue(w http.ResponseWriter, r *http.Request) error {
	p, err := h.consoleData(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return h.render.RenderFragment(w, "console", "queue", p)
}

// handleConsoleClaimNext serves POST /console/claim.
func (h *Handlers) handleConsoleClaimNext(w http.ResponseWriter, r *http.Request) error {
	u, _ := identity.From(r.Context())
	it, ok, err := h.svc.ClaimNext(r.Context(), u)
	if err != nil {
		return err
	}
	if !ok {
		http.Redirect(w, r, "/console?flash=empty", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/console/items/"+strconv.FormatInt(it.ID, 10), http.StatusSeeOther)
	return nil
}

type itemPage struct {
	web.Page
	D           itemDetail
	Canned      []CannedAnswer
	Departments []Department
	Held        bool
	HeldByOther bool
	Error       string
	Body        string
	// Done is the confirmation of the action just taken (?done=answer).
	Done string
	L    Labels
	// MinDeadline is now, as the deadline field writes it (no past deadlines).
	MinDeadline string
}

// handleConsoleItem serves GET /console/items/{id}.
func (h *Handlers) handleConsoleItem(w http.ResponseWriter, r *http.Request) error {
	return h.renderItem(w, r, http.StatusOK, "", "")
}

func (h *Handlers) renderItem(w http.ResponseWriter, r *http.Request, status int, errMsg, body string) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.loadDetail(r, id)
	if err != nil {
		return err
	}
	p := itemPage{Page: web.NewPage(r, "console.item_title", id), D: d, Error: errMsg, Body: body}
	p.Wide = true
	u, _ := identity.From(r.Context())
	now := time.Now()
	p.MinDeadline = now.In(h.svc.SLA.Location).Format("2006-01-02T15:04")
	p.Held = d.HeldBy(u.ID, now)
	p.HeldByOther = !p.Held && d.AssigneeID != nil && d.LeaseExpiresAt != nil && d.LeaseExpiresAt.After(now)
	if p.Canned, err = h.svc.Store.FindCannedAnswers(r.Context()); err != nil {
		return err
	}
	p.Canned = cannedFor(p.Canned, d.Language)
	if p.Departments, err = h.svc.Store.FindDepartments(r.Context()); err != nil {
		return err
	}
	if p.Held && d.Source == SourceHotlineTicket {
		web.AllowMicrophone(w) // the spoken-answer recorder (static/answer-audio.js)
	}
	if p.L, err = h.svc.Labels(r.Context(), p.T); err != nil {
		return err
	}
	if a := r.URL.Query().Get("done"); a != "" && errMsg == "" {
		if k := "console.done." + a; p.Tr(k) != k {
			p.Done = p.Tr(k)
		}
	}
	return h.render.Render(w, r, status, "console_item", p)
}

// handleConsoleAction serves POST /console/items/{id}/{action}: the console's
// forms. Errors come back on the item page, with what was typed kept.
func (h *Handlers) handleConsoleAction(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	in := ActionInput{
		Reason: r.PostFormValue("reason"), Body: r.PostFormValue("body"), Message: r.PostFormValue("message"),
		Department: r.PostFormValue("department"), Note: r.PostFormValue("note"),
	}
	if v := strings.TrimSpace(r.PostFormValue("into")); v != "" {
		if in.Into, err = strconv.ParseInt(v, 10, 64); err != nil {
			in.Into = -1
		}
	}
	if v := strings.TrimSpace(r.PostFormValue("deadline")); v != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", v, h.svc.SLA.Location)
		if err != nil {
			return h.renderItem(w, r, http.StatusBadRequest, web.TranslatorFrom(r).T("console.bad_deadline"), in.Body)
		}
		in.Deadline = &t
	}
	u, _ := identity.From(r.Context())
	action := chi.URLParam(r, "action")
	if _, err := h.svc.Act(r.Context(), u, id, action, in); err != nil {
		e := apperr.As(err)
		if e.Kind == apperr.Internal || e.Kind == apperr.NotFound {
			return err
		}
		t := web.TranslatorFrom(r)
		msg := e.Message
		if k := "console.err." + e.Code; t.T(k) != k {
			msg = t.T(k)
		}
		return h.renderItem(w, r, web.Status(e.Kind), msg, in.Body)
	}
	if action == ActionRelease {
		http.Redirect(w, r, "/console?flash=released", http.StatusSeeOther)
		return nil
	}
	// Back on the item with a confirmation and the way to the next one.
	http.Redirect(w, r, "/console/items/"+strconv.FormatInt(id, 10)+"?done="+url.QueryEscape(action), http.StatusSeeOther)
	return nil
}
