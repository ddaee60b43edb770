package notify

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/i18n"
)

//go:embed messages/*.json
var messagesFS embed.FS

// Messages is this package's message catalog.
var Messages fs.FS = messagesFS

//go:embed templates/email.html
var emailHTML string

// Content is what a notification tells.
type Content struct {
	Event    string
	Code     string
	Due      time.Time
	Text     string // answer, reason or message
	Link     string // the tracking page of the code (the console's item page for staff)
	Language string
	// Staff events (escalated, directive due or overdue) name the item by
	// its number and title, for staff only.
	Staff  bool
	ItemID int64
	Title  string
}

// Renderer renders notifications from the catalog.
type Renderer struct {
	cat  *i18n.Catalog
	loc  *time.Location
	html *template.Template
}

// NewRenderer returns a renderer that shows dates in loc (Vietnam when nil).
func NewRenderer(cat *i18n.Catalog, loc *time.Location) (*Renderer, error) {
	if loc == nil {
		loc = time.FixedZone("ICT", 7*3600)
	}
	t, err := template.New("email").Parse(emailHTML)
	if err != nil {
		return nil, err
	}
	return &Renderer{cat: cat, loc: loc, html: t}, nil
}

// SMS segments: a message longer than one is sent concatenated (Kannel
// splits it, 153 GSM or 67 UCS-2 characters a part). We allow three parts
// and shorten the answer or reason to fit; the link to the full text stays.
const (
	smsParts   = 3
	gsmPart    = 153
	ucs2Part   = 67
	gsmSingle  = 160
	ucs2Single = 70
)

// SMSLimit is the longest text that fits in smsParts parts.
func SMSLimit(text string) int {
	if IsGSM(text) {
		return smsParts * gsmPart
	}
	return smsParts * ucs2Part
}

// IsGSM reports whether text can go in the GSM 7-bit alphabet (we take the
// printable ASCII subset of it, which is what our templates use); anything
// else (Vietnamese diacritics) goes as UCS-2.
func IsGSM(text string) bool {
	for _, r := range text {
		if r >= 0x7f || (r < 0x20 && r != '\n') || strings.ContainsRune("[]{}\\^~|`", r) {
			return false
		}
	}
	return true
}

// SMS renders the short text of c: the code, the link and, for answers,
// rejections and requests, as much of the text as fits.
func (r *Renderer) SMS(c Content) string {
	t := r.cat.For(c.Language)
	excerpt := strings.Join(strings.Fields(c.Text), " ")
	if c.Event == "escalated" {
		excerpt = strings.Join(strings.Fields(c.Title), " ")
	}
	render := func(x string) string {
		switch c.Event {
		case "received", "callback_scheduled":
			return t.T("notify.sms."+c.Event, c.Code, r.date(c), c.Link)
		case "escalated":
			return t.T("notify.sms.escalated", c.ItemID, x, c.Link)
		case "directive_due", "directive_overdue":
			return t.T("notify.sms."+c.Event, c.ItemID, r.date(c), x, c.Link)
		case "answered", "rejected", "info_requested", "callback_unreached":
			return t.T("notify.sms."+c.Event, c.Code, x, c.Link)
		default:
			return t.T("notify.sms."+c.Event, c.Code, c.Link)
		}
	}
	full := render(excerpt)
	limit := SMSLimit(full)
	if utf8.RuneCountInString(full) <= limit {
		return full
	}
	budget := limit - utf8.RuneCountInString(render("")) - 1
	return render(clip(excerpt, budget))
}

func (r *Renderer) date(c Content) string {
	layout := "02/01/2006"
	if c.Language == "en" {
		layout = "2 Jan 2006"
	}
	return c.Due.In(r.loc).Format(layout)
}

// clip cuts s to n runes, at a word when one is near, with an ellipsis.
func clip(s string, n int) string {
	if n <= 0 {
		return "…"
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)[:n]
	cut := string(rs)
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}

// Email is a rendered e-mail.
type Email struct {
	Subject string
	Text    string
	HTML    string
}

type emailView struct {
	Lang, Title, Lead, TextLabel, Text, LinkLabel, Link, Footer string
}

// Email renders c as an e-mail, plain text and HTML (escaped by
// html/template), in the citizen's language.
func (r *Renderer) Email(c Content) (Email, error) {
	t := r.cat.For(c.Language)
	v := emailView{Lang: t.Lang, Title: t.T("notify.mail.subject."+c.Event, c.Code),
		LinkLabel: t.T("notify.mail.link"), Link: c.Link, Footer: t.T("notify.mail.footer"), Text: strings.TrimSpace(c.Text)}
	switch {
	case c.Staff:
		v.Title, v.LinkLabel, v.Footer = t.T("notify.mail.subject."+c.Event, c.ItemID), t.T("notify.mail.link_staff"), t.T("notify.mail.footer_staff")
		v.Lead = t.T("notify.mail.lead."+c.Event, c.ItemID, c.Title)
		if c.Event != "escalated" {
			v.Lead = t.T("notify.mail.lead."+c.Event, c.ItemID, c.Title, r.date(c))
		}
	case c.Event == "received" || c.Event == "callback_scheduled":
		v.Lead = t.T("notify.mail.lead."+c.Event, c.Code, r.date(c))
	default:
		v.Lead = t.T("notify.mail.lead."+c.Event, c.Code)
	}
	if v.Text != "" {
		v.TextLabel = t.T("notify.mail.text." + c.Event)
	}
	var plain strings.Builder
	plain.WriteString(v.Lead + "\n\n")
	if v.Text != "" {
		plain.WriteString(v.TextLabel + ":\n" + v.Text + "\n\n")
	}
	plain.WriteString(v.LinkLabel + ": " + v.Link + "\n\n-- \n" + v.Footer + "\n")
	var html bytes.Buffer
	if err := r.html.Execute(&html, v); err != nil {
		return Email{}, err
	}
	return Email{Subject: v.Title, Text: plain.String(), HTML: html.String()}, nil
}
