package forum

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"time"
)

// Atom types: just what RFC 4287 requires, plus the summary.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Link    []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
}

type atomEntry struct {
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Link    atomLink `xml:"link"`
	Author  struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Content struct {
		Type string `xml:"type,attr"`
		Body string `xml:",chardata"`
	} `xml:"content"`
}

// handleFeed serves GET /feed.atom: the latest answered public questions,
// each with its official answer.
func (h *Handlers) handleFeed(w http.ResponseWriter, r *http.Request) error {
	qs, _, err := h.svc.Store.FindQuestions(r.Context(), QuestionFilter{Sort: SortAnswered, PerPage: 30})
	if err != nil {
		return err
	}
	f := atomFeed{ID: h.absURL(r, "/feed.atom"), Title: "Đối Thoại — câu hỏi đã trả lời", Updated: time.Now().UTC().Format(time.RFC3339),
		Link: []atomLink{{Href: h.absURL(r, "/feed.atom"), Rel: "self"}, {Href: h.absURL(r, "/")}}}
	if len(qs) > 0 && qs[0].AnsweredAt != nil {
		f.Updated = qs[0].AnsweredAt.UTC().Format(time.RFC3339)
	}
	for _, q := range qs {
		e := atomEntry{ID: h.absURL(r, "/cau-hoi/"+strconv.FormatInt(q.ID, 10)), Title: q.Title, Link: atomLink{Href: h.absURL(r, q.Path())}}
		e.Updated = q.CreatedAt.UTC().Format(time.RFC3339)
		if q.AnsweredAt != nil {
			e.Updated = q.AnsweredAt.UTC().Format(time.RFC3339)
		}
		e.Author.Name = "Đối Thoại"
		e.Content.Type = "html"
		e.Content.Body = q.BodyHTML
		if a, err := h.svc.Store.FindOfficialAnswer(r.Context(), q.ID); err == nil && a != nil {
			e.Content.Body += "<hr><p><strong>" + "Trả lời chính thức" + "</strong></p>" + a.BodyHTML
		}
		f.Entries = append(f.Entries, e)
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	_, _ = w.Write([]byte(xml.Header))
	return xml.NewEncoder(w).Encode(f)
}
