package moderation

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5"
)

func pathID(r *http.Request) (int64, error) { return web.PathID(r, "id", "item") }

// filterFromQuery reads the queue filters shared by the API and the console.
func filterFromQuery(r *http.Request) (ItemFilter, error) {
	q := r.URL.Query()
	var f ItemFilter
	for _, s := range splitComma(q.Get("status")) {
		if !contains(Statuses, s) {
			return f, apperr.Invalidf("bad_status", "unknown status %q", s)
		}
		f.Status = append(f.Status, s)
	}
	for _, s := range splitComma(q.Get("source")) {
		if !Source(s).Valid() {
			return f, apperr.Invalidf("bad_source", "unknown source %q", s)
		}
		f.Source = append(f.Source, Source(s))
	}
	f.Category, f.Province = q.Get("category"), q.Get("province")
	if v := q.Get("escalated"); v != "" {
		b := v == "true" || v == "1"
		f.Escalated = &b
	}
	f.Overdue = q.Get("overdue") == "true" || q.Get("overdue") == "1"
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	if f.Offset < 0 {
		f.Offset = 0
	}
	return f, nil
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// handleItemIndex serves GET /api/v1/moderation/items.
func (h *Handlers) handleItemIndex(w http.ResponseWriter, r *http.Request) error {
	f, err := filterFromQuery(r)
	if err != nil {
		return err
	}
	items, total, err := h.svc.Store.FindItems(r.Context(), f)
	if err != nil {
		return err
	}
	viewer, _ := identity.From(r.Context())
	for i := range items {
		items[i] = ForRole(items[i], viewer)
	}
	if items == nil {
		items = []Item{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
	return nil
}

type itemDetail struct {
	Item
	History         []AuditEntry `json:"history"`
	Directives      []Directive  `json:"directives"`
	CitizenHistory  []Item       `json:"citizen_history"`
	Case            []Item       `json:"case,omitempty"` // every item of its case (when it is one), oldest first
	PublicStatusStr string       `json:"public_status"`
}

func (h *Handlers) loadDetail(r *http.Request, id int64) (itemDetail, error) {
	ctx := r.Context()
	it, err := h.svc.Store.FindItemByID(ctx, id)
	if err != nil {
		return itemDetail{}, err
	}
	d := itemDetail{Item: it, PublicStatusStr: PublicStatus(it)}
	if d.History, err = h.svc.Store.FindHistory(ctx, id); err != nil {
		return d, err
	}
	if d.Directives, err = h.svc.Store.FindDirectives(ctx, id); err != nil {
		return d, err
	}
	if d.CitizenHistory, err = h.svc.Store.FindPersonHistory(ctx, it, 50); err != nil {
		return d, err
	}
	if d.Case, err = h.svc.Store.FindCase(ctx, it); err != nil {
		return d, err
	}
	if len(d.Case) < 2 {
		d.Case = nil
	}
	viewer, _ := identity.From(ctx)
	d.Item = ForRole(d.Item, viewer)
	for i := range d.CitizenHistory {
		d.CitizenHistory[i] = ForRole(d.CitizenHistory[i], viewer)
	}
	for i := range d.Case {
		d.Case[i] = ForRole(d.Case[i], viewer)
	}
	if d.History == nil {
		d.History = []AuditEntry{}
	}
	if d.Directives == nil {
		d.Directives = []Directive{}
	}
	if d.CitizenHistory == nil {
		d.CitizenHistory = []Item{}
	}
	return d, nil
}

// handleItemView serves GET /api/v1/moderation/items/{id}.
func (h *Handlers) handleItemView(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.loadDetail(r, id)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, d)
	return nil
}

// handleClaimNext serves POST /api/v1/moderation/claim: 200 with the item,
// 204 when nothing waits.
func (h *Handlers) handleClaimNext(w http.ResponseWriter, r *http.Request) error {
	u, _ := identity.From(r.Context())
	it, ok, err := h.svc.ClaimNext(r.Context(), u)
	if err != nil {
		return err
	}
	if !ok {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	web.JSON(w, http.StatusOK, ForRole(it, u))
	return nil
}

// handleItemAction serves POST /api/v1/moderation/items/{id}/{action}.
func (h *Handlers) handleItemAction(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in ActionInput
	if r.ContentLength != 0 && r.Header.Get("Content-Type") != "" {
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	u, _ := identity.From(r.Context())
	it, err := h.svc.Act(r.Context(), u, id, chi.URLParam(r, "action"), in)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, ForRole(it, u))
	return nil
}

// handleCannedIndex serves GET /api/v1/moderation/canned-answers.
func (h *Handlers) handleCannedIndex(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.Store.FindCannedAnswers(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []CannedAnswer{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"canned_answers": list})
	return nil
}

// handleCannedCreate serves POST /api/v1/moderation/canned-answers.
func (h *Handlers) handleCannedCreate(w http.ResponseWriter, r *http.Request) error {
	var c CannedAnswer
	if err := web.DecodeJSON(w, r, &c); err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	c, err := h.svc.Store.AdminCreateCannedAnswer(r.Context(), u, c) // audited, like the admin page
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusCreated, c)
	return nil
}

// handleDepartmentIndex serves GET /api/v1/moderation/departments.
func (h *Handlers) handleDepartmentIndex(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.Store.FindDepartments(r.Context())
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, map[string]any{"departments": list})
	return nil
}

// handleTrack serves GET /api/v1/track/{code}: what a citizen may know of
// their submission, whatever the channel.
func (h *Handlers) handleTrack(w http.ResponseWriter, r *http.Request) error {
	_, t, err := h.svc.TrackCase(r.Context(), web.ClientIP(r), chi.URLParam(r, "code"))
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, t)
	return nil
}

// handleTrackReply serves POST /api/v1/track/{code}/reply {body}: the
// citizen's answer to a request for more information.
func (h *Handlers) handleTrackReply(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Body string `json:"body"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := h.svc.CitizenReply(r.Context(), web.ClientIP(r), chi.URLParam(r, "code"), in.Body)
	if err != nil {
		return err
	}
	t, err := h.svc.TrackingView(r.Context(), it)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, t)
	return nil
}

// Tracking is the citizen's view of an item.
type Tracking struct {
	Code    string `json:"tracking_code"`
	Source  Source `json:"source"`
	Status  string `json:"status"`
	Answer  string `json:"answer,omitempty"`
	Reason  string `json:"reason,omitempty"`
	URL     string `json:"url,omitempty"`
	Created string `json:"created_at"`
	// Notifications are what the citizen was told (or will be, while no
	// gateway is configured): event and when.
	Notifications []Notice `json:"notifications,omitempty"`
	// InfoRequested is the moderator's question when more information is
	// asked for; the citizen answers with POST /api/v1/track/{code}/reply.
	InfoRequested string `json:"info_requested,omitempty"`
	// MergedInto is the item a duplicate was merged into (its answer is
	// this code's answer); Case lists every item under the same case.
	MergedInto *Tracking  `json:"merged_into,omitempty"`
	Case       []Tracking `json:"case,omitempty"`
	Current    bool       `json:"current,omitempty"` // in Case: the item of the code looked up
}

// TrackingOf returns the citizen's view of it.
func TrackingOf(it Item) Tracking {
	t := Tracking{Code: it.TrackingCode, Source: it.Source, Status: PublicStatus(it), URL: it.URL, Created: it.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")}
	if it.Status == StatusAnswered || it.Status == StatusClosed {
		t.Answer = it.Answer
	}
	if it.Status == StatusRejected || it.Status == StatusInfoRequested {
		t.Reason = it.Reason
	}
	if it.Status == StatusInfoRequested {
		t.InfoRequested = it.Reason
	}
	return t
}
