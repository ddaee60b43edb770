package feedback

import (
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
)

// dashboardPage is the data of dashboard.html.
type dashboardPage struct {
	web.Page
	From, To string // the range as the date fields show it
	// FromShown, ToShown: the range as people read it (dd/mm/yyyy).
	FromShown, ToShown string
	RangeError         string
	Print              bool
	Query              string // from=…&to=…, for the print and export links
	// The links that keep the range, whole: html/template would escape
	// the = and & of a query interpolated after "?".
	PrintURL, ExportURL, ExportRawURL, BackURL string
	L                                          moderation.Labels

	S              Summary
	Backlog        Backlog
	FirstResponse  string // median, for people
	Answer         string
	Trend          TrendChart
	BucketLabel    string
	Channels       BarChart
	Statuses       BarChart
	Categories     BarChart
	Provinces      BarChart
	Languages      BarChart
	Escalated      []InboxItem
	Directives     []DirectiveRow
	CanSignOff     bool
	AnsweredShare  int // % of the range's items answered
	ChannelLegend  []LegendEntry
	ByChannelTable []Count
}

// handleDashboard serves GET /dashboard?from=&to= (leaders, admins).
func (h *Handlers) handleDashboard(w http.ResponseWriter, r *http.Request) error {
	return h.dashboard(w, r, false)
}

// handleDashboardPrint serves GET /dashboard/print?from=&to=: the same
// figures without navigation or forms, laid out for paper.
func (h *Handlers) handleDashboardPrint(w http.ResponseWriter, r *http.Request) error {
	return h.dashboard(w, r, true)
}

func (h *Handlers) dashboard(w http.ResponseWriter, r *http.Request, print bool) error {
	ctx := r.Context()
	now := h.now()
	p := dashboardPage{Page: web.NewPage(r, "fb.dashboard.title"), Print: print}
	p.Wide = true
	status := http.StatusOK
	rng, err := ParseRange(r.URL.Query(), now, h.loc)
	if err != nil {
		if apperr.KindOf(err) != apperr.Invalid {
			return err
		}
		// A mistyped date comes back on the form; the figures show the
		// default range meanwhile.
		p.RangeError, status = p.Tr("fb.bad_range"), http.StatusBadRequest
		rng, _ = ParseRange(url.Values{}, now, h.loc)
	}
	p.From, p.To = rng.From.In(h.loc).Format("2006-01-02"), rng.LastDay(h.loc).Format("2006-01-02")
	p.FromShown, p.ToShown = rng.From.In(h.loc).Format("02/01/2006"), rng.LastDay(h.loc).Format("02/01/2006")
	p.Query = url.Values{"from": {p.From}, "to": {p.To}}.Encode()
	p.PrintURL, p.BackURL = "/dashboard/print?"+p.Query, "/dashboard?"+p.Query
	p.ExportURL = "/api/v1/feedback/export.csv?" + p.Query
	p.ExportRawURL = p.ExportURL + "&raw=1"
	if p.L, err = h.svc.Labels(ctx, p.T); err != nil {
		return err
	}
	if p.S, err = h.store.Summary(ctx, rng, now); err != nil {
		return err
	}
	if p.Backlog, err = h.store.FindBacklog(ctx, now); err != nil {
		return err
	}
	bucket := BucketFor(rng)
	points, err := h.store.Trend(ctx, rng, bucket)
	if err != nil {
		return err
	}
	if p.Escalated, err = h.store.FindEscalated(ctx, true, now, 10); err != nil {
		return err
	}
	if p.Directives, err = h.store.FindDirectives(ctx, DirectiveFilter{Status: "open", Limit: 10}, now); err != nil {
		return err
	}
	u, _ := identity.From(ctx)
	p.CanSignOff = u.HasRole(identity.RoleLeader)
	p.FirstResponse = humanMinutes(p.Page, p.S.MedianFirstResponseMinutes)
	p.Answer = humanMinutes(p.Page, p.S.MedianAnswerMinutes)
	if p.S.Total > 0 {
		p.AnsweredShare = int(math.Round(float64(p.S.Answered) * 100 / float64(p.S.Total)))
	}
	label := h.labeler(p.Page)
	p.BucketLabel = p.Tr("fb.bucket." + string(bucket))
	p.Trend = NewTrendChart(points, label("source"), func(tp TrendPoint) string {
		if bucket == Month {
			return tp.Start.Format("01/2006")
		}
		return tp.Start.Format("02/01")
	})
	channelColor := func(k string) string { return channelColors[sourceOf(k)] }
	p.Channels = NewBarChart(p.S.ByChannel, 10, label("source"), channelColor, func(k string) string { return channelPatterns[sourceOf(k)] })
	p.Statuses = NewBarChart(p.S.ByStatus, 10, label("status"), nil)
	p.Categories = NewBarChart(p.S.ByCategory, 10, func(k string) string {
		if k == Unspecified {
			return p.Tr("fb.unspecified")
		}
		return p.L.Category(k)
	}, nil)
	p.Provinces = NewBarChart(p.S.ByProvince, 15, label(""), nil)
	p.Languages = NewBarChart(p.S.ByLanguage, 8, label("lang"), nil)
	return h.render.Render(w, r, status, "dashboard", p)
}

// labeler returns, for a kind of key, the function that names a key for
// people: translated channels, statuses and languages; categories and
// provinces as stored.
func (h *Handlers) labeler(p web.Page) func(kind string) func(string) string {
	return func(kind string) func(string) string {
		return func(key string) string {
			if key == Unspecified {
				return p.Tr("fb.unspecified")
			}
			switch kind {
			case "source", "status":
				return p.Tr(kind + "." + key)
			case "lang":
				if k := "fb.lang." + key; p.Tr(k) != k {
					return p.Tr(k)
				}
			}
			return key
		}
	}
}

// humanMinutes writes a median such as "2 giờ 15 phút" or "3 ngày 4 giờ".
func humanMinutes(p web.Page, m *float64) string {
	if m == nil {
		return p.Tr("fb.no_data")
	}
	total := int(math.Round(*m))
	days, hours, mins := total/(24*60), total/60%24, total%60
	switch {
	case days > 0:
		return p.Tr("fb.days_hours", days, hours)
	case hours > 0:
		return p.Tr("fb.hours_minutes", hours, mins)
	default:
		return p.Tr("fb.minutes", mins)
	}
}

// inboxPage is the data of escalated.html.
type inboxPage struct {
	web.Page
	Items      []InboxItem
	Signed     bool
	CanSignOff bool
	Flash      string
	Error      string
	L          moderation.Labels
}

// handleInbox serves GET /dashboard/escalated?tab=signed: the escalated
// inbox, waiting items first.
func (h *Handlers) handleInbox(w http.ResponseWriter, r *http.Request) error {
	return h.renderInbox(w, r, http.StatusOK, "")
}

func (h *Handlers) renderInbox(w http.ResponseWriter, r *http.Request, status int, errMsg string) error {
	p := inboxPage{Page: web.NewPage(r, "fb.inbox.title"), Signed: r.URL.Query().Get("tab") == "signed", Error: errMsg}
	p.Wide = true
	u, _ := identity.From(r.Context())
	p.CanSignOff = u.HasRole(identity.RoleLeader)
	if r.URL.Query().Get("flash") == "signed" {
		p.Flash = p.Tr("fb.inbox.signed_flash")
	}
	var err error
	if p.Items, err = h.store.FindEscalated(r.Context(), !p.Signed, h.now(), 200); err != nil {
		return err
	}
	if p.L, err = h.svc.Labels(r.Context(), p.T); err != nil {
		return err
	}
	return h.render.Render(w, r, status, "escalated", p)
}

// handleInboxSignOff serves POST /dashboard/items/{id}/sign-off, the
// inbox's form.
func (h *Handlers) handleInboxSignOff(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id", "item")
	if err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	if _, err := h.svc.SignOff(r.Context(), u, id, r.PostFormValue("note")); err != nil {
		e := apperr.As(err)
		if e.Kind == apperr.Internal || e.Kind == apperr.NotFound {
			return err
		}
		return h.renderInbox(w, r, web.Status(e.Kind), formError(web.TranslatorFrom(r).T, e))
	}
	http.Redirect(w, r, "/dashboard/escalated?flash=signed#item-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// formError is the message of e in the request's language when the
// catalog has one.
func formError(tr func(string, ...any) string, e *apperr.Error) string {
	if k := "fb.err." + e.Code; tr(k) != k {
		return tr(k)
	}
	return e.Message
}
