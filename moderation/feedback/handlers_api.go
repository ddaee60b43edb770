package feedback

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
	"github.com/go-chi/chi/v5/middleware"
)

// summaryJSON is the contract's shape of a summary: breakdowns as objects
// keyed by channel, status, category, province or language.
type summaryJSON struct {
	From                         time.Time      `json:"from"`
	To                           time.Time      `json:"to"`
	Total                        int            `json:"total"`
	ByChannel                    map[string]int `json:"by_channel"`
	ByStatus                     map[string]int `json:"by_status"`
	ByCategory                   map[string]int `json:"by_category"`
	ByProvince                   map[string]int `json:"by_province"`
	ByLanguage                   map[string]int `json:"by_language"`
	MedianMinutesToFirstResponse *float64       `json:"median_minutes_to_first_response"`
	MedianMinutesToAnswer        *float64       `json:"median_minutes_to_answer"`
	Responded                    int            `json:"responded"`
	Answered                     int            `json:"answered"`
	Overdue                      int            `json:"overdue"`
	Escalated                    int            `json:"escalated"`
}

func asMap(cs []Count) map[string]int {
	m := make(map[string]int, len(cs))
	for _, c := range cs {
		m[c.Key] = c.Count
	}
	return m
}

func round(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := math.Round(*p*10) / 10
	return &v
}

// handleSummary serves GET /api/v1/feedback/summary?from=&to= (leaders,
// admins): counts by channel, status, category, province and language,
// median minutes to first response and to answer, and the overdue count.
// A median is over the whole minutes (rounded down) each item of the range
// took; with an even number of items it is the mean of the two middle
// ones, so it is a whole or half minute. The figures come from the daily
// rollup (Store.Summary), exact for any range, whole days or not.
func (h *Handlers) handleSummary(w http.ResponseWriter, r *http.Request) error {
	now := h.now()
	rng, err := ParseRange(r.URL.Query(), now, h.loc)
	if err != nil {
		return err
	}
	s, err := h.store.Summary(r.Context(), rng, now)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, summaryJSON{
		From: s.From.In(h.loc), To: s.To.In(h.loc), Total: s.Total,
		ByChannel: asMap(s.ByChannel), ByStatus: asMap(s.ByStatus), ByCategory: asMap(s.ByCategory),
		ByProvince: asMap(s.ByProvince), ByLanguage: asMap(s.ByLanguage),
		MedianMinutesToFirstResponse: round(s.MedianFirstResponseMinutes), MedianMinutesToAnswer: round(s.MedianAnswerMinutes),
		Responded: s.Responded, Answered: s.Answered, Overdue: s.Overdue, Escalated: s.Escalated,
	})
	return nil
}

// handleTrend serves GET /api/v1/feedback/trend?from=&to=&bucket=: arrivals
// per day, week or month, by channel.
func (h *Handlers) handleTrend(w http.ResponseWriter, r *http.Request) error {
	rng, err := ParseRange(r.URL.Query(), h.now(), h.loc)
	if err != nil {
		return err
	}
	b := Bucket(r.URL.Query().Get("bucket"))
	switch b {
	case "":
		b = BucketFor(rng)
	case Day, Week, Month:
	default:
		return apperr.Invalidf("bad_bucket", "bucket must be day, week or month")
	}
	points, err := h.store.Trend(r.Context(), rng, b)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, map[string]any{"from": rng.From.In(h.loc), "to": rng.To.In(h.loc), "bucket": b, "points": points})
	return nil
}

// exportHeader names the CSV columns (stable: operators' scripts read them).
var exportHeader = []string{"id", "channel", "category", "province", "language", "status",
	"created_at", "first_response_at", "answered_at", "assignee", "due_at", "escalated", "title"}

// handleExport serves GET /api/v1/feedback/export.csv?from=&to=&raw=
// (leaders, admins): a row per item created in the range, RFC 4180
// quoting, UTF-8 with a byte-order mark so that Excel shows Vietnamese.
// By default it is for people: column names and values (channels,
// categories, languages, statuses) in the request's language, dates as
// dd/mm/yyyy hh:mm in Vietnam's zone. raw=1 gives the stable codes
// (exportHeader) and RFC 3339 times, for scripts.
func (h *Handlers) handleExport(w http.ResponseWriter, r *http.Request) error {
	rng, err := ParseRange(r.URL.Query(), h.now(), h.loc)
	if err != nil {
		return err
	}
	t := web.TranslatorFrom(r)
	raw := r.URL.Query().Get("raw") == "1"
	labels, err := h.svc.Labels(r.Context(), t)
	if err != nil {
		return err
	}
	row := exportRow(t, labels, h.loc, raw)
	name := fmt.Sprintf("doithoai-feedback-%s_%s.csv", rng.From.In(h.loc).Format("2006-01-02"), rng.LastDay(h.loc).Format("2006-01-02"))
	// Rows go out as they are read; the buffer holds one row until the
	// header is sent, so a failed query still becomes a JSON error.
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	started := false
	start := func() {
		started = true
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	}
	buf.WriteString("\ufeff")
	header := exportHeader
	if !raw {
		header = make([]string, len(exportHeader))
		for i, k := range exportHeader {
			header[i] = t.T("fb.csv." + k)
		}
	}
	_ = cw.Write(header)
	err = h.store.Export(r.Context(), rng, func(x ExportRow) error {
		if err := cw.Write(row(x)); err != nil {
			return err
		}
		cw.Flush()
		if !started {
			start()
		}
		if buf.Len() >= 32<<10 {
			if _, err := w.Write(buf.Bytes()); err != nil {
				return err
			}
			buf.Reset()
		}
		return nil
	})
	if err != nil {
		if !started {
			return err
		}
		// Too late for an error status: log it and cut the file short,
		// which the client sees as an incomplete download.
		slog.ErrorContext(r.Context(), "export failed midway", "err", err, "request_id", middleware.GetReqID(r.Context()))
		panic(http.ErrAbortHandler)
	}
	cw.Flush()
	if !started {
		start()
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// exportRow returns how one item is written: codes and RFC 3339 times
// when raw, names and the pages' dates otherwise. Every text a citizen or
// an admin wrote goes through cell.
func exportRow(t i18n.Translator, l moderation.Labels, loc *time.Location, raw bool) func(ExportRow) []string {
	ts := func(v *time.Time) string {
		switch {
		case v == nil:
			return ""
		case raw:
			return v.In(loc).Format(time.RFC3339)
		}
		return v.In(loc).Format("02/01/2006 15:04")
	}
	return func(x ExportRow) []string {
		src, cat, lang, status, esc := x.Source, x.Category, x.Language, x.Status, strconv.FormatBool(x.Escalated)
		if !raw {
			src, status = t.T("source."+src), t.T("status."+status)
			cat, lang = l.Category(cat), l.Language(lang)
			esc = t.T("fb.csv.no")
			if x.Escalated {
				esc = t.T("fb.csv.yes")
			}
		}
		return []string{strconv.FormatInt(x.ID, 10), src, cell(cat), cell(x.Province), cell(lang), status,
			ts(&x.CreatedAt), ts(x.FirstResponse), ts(x.AnsweredAt), cell(x.Assignee), ts(&x.DueAt), esc, cell(x.Title)}
	}
}

// cell defuses text that a spreadsheet would run as a formula (CSV
// injection): citizens write the titles. A leading apostrophe is what
// Excel itself uses to mark text.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// handleEscalatedIndex serves GET /api/v1/feedback/escalated?signed=: the
// escalated inbox (waiting for a leader, or signed off with signed=true).
func (h *Handlers) handleEscalatedIndex(w http.ResponseWriter, r *http.Request) error {
	signed := r.URL.Query().Get("signed") == "true"
	items, err := h.store.FindEscalated(r.Context(), !signed, h.now(), 200)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		out = append(out, map[string]any{"id": it.ID, "source": it.Source, "title": it.Title, "status": it.Status,
			"category": it.Category, "province": it.Province, "assignee": it.Assignee, "created_at": it.CreatedAt,
			"due_at": it.DueAt, "escalated_at": it.EscalatedAt, "signed_off_at": it.SignedOffAt, "signed_off_by": it.SignedOffBy,
			"open_directives": it.OpenDirectives, "overdue": it.Overdue})
	}
	web.JSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

type noteInput struct {
	Note string `json:"note"`
}

func decodeNote(w http.ResponseWriter, r *http.Request) (string, error) {
	var in noteInput
	if r.ContentLength != 0 && r.Header.Get("Content-Type") != "" {
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return "", err
		}
	}
	return in.Note, nil
}

// handleSignOff serves POST /api/v1/feedback/items/{id}/sign-off {note?}
// (leaders).
func (h *Handlers) handleSignOff(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id", "item")
	if err != nil {
		return err
	}
	note, err := decodeNote(w, r)
	if err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	if _, err := h.svc.SignOff(r.Context(), u, id, note); err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, map[string]any{"id": id, "signed_off": true})
	return nil
}

// handleDirectiveIndex serves GET /api/v1/directives?status=&item= (staff).
func (h *Handlers) handleDirectiveIndex(w http.ResponseWriter, r *http.Request) error {
	f := DirectiveFilter{Status: r.URL.Query().Get("status")}
	if v := r.URL.Query().Get("item"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return apperr.Invalidf("bad_item", "item must be an item id")
		}
		f.ItemID = id
	}
	list, err := h.store.FindDirectives(r.Context(), f, h.now())
	if err != nil {
		return err
	}
	if list == nil {
		list = []DirectiveRow{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"directives": list})
	return nil
}

// handleDirectiveDone serves POST /api/v1/directives/{id}/done {note?}
// (staff): 200 with the directive, 409 when it is already done.
func (h *Handlers) handleDirectiveDone(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id", "directive")
	if err != nil {
		return err
	}
	note, err := decodeNote(w, r)
	if err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	d, err := h.svc.CompleteDirective(r.Context(), u, id, note)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, d)
	return nil
}
