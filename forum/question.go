// Package forum is the online dialogue forum: categories, questions and
// replies, votes, reports, Vietnamese search, tracking codes and the Atom
// feed. Every submission enters the shared moderation queue in the same
// transaction that stores it; decisions come back through Decisions.
package forum

import (
	"github.com/doithoai/doithoai/internal/contact"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
)

// Category groups questions; Moderation is "pre" (hidden until approved)
// or "post" (public at once, reviewed after).
type Category struct {
	ID          int64  `json:"-"`
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	NameEN      string `json:"name_en,omitempty"`
	Description string `json:"description,omitempty"`
	Moderation  string `json:"moderation"`
}

// Question statuses, as citizens see them.
const (
	StatusPending   = "pending"
	StatusPublished = "published"
	StatusAnswered  = "answered"
	StatusClosed    = "closed"
	StatusRejected  = "rejected"
)

// Question is a citizen's question or feedback.
type Question struct {
	ID           int64      `json:"id"`
	Category     Category   `json:"category"`
	AuthorID     *int64     `json:"-"`
	AuthorName   string     `json:"author_name,omitempty"`
	Contact      string     `json:"-"`
	Title        string     `json:"title"`
	Slug         string     `json:"slug"`
	Body         string     `json:"body"`
	BodyHTML     string     `json:"body_html"`
	Kind         string     `json:"kind"`
	Visibility   string     `json:"visibility"`
	Province     string     `json:"province,omitempty"`
	District     string     `json:"district,omitempty"`
	Commune      string     `json:"commune,omitempty"`
	Language     string     `json:"language"`
	Status       string     `json:"status"`
	RejectReason string     `json:"reject_reason,omitempty"`
	InfoRequest  string     `json:"info_request,omitempty"`
	DuplicateOf  *int64     `json:"duplicate_of,omitempty"`
	TrackingCode string     `json:"-"`
	Votes        int        `json:"votes"`
	Views        int64      `json:"views"`
	ReopenCount  int        `json:"reopen_count"`
	CreatedAt    time.Time  `json:"created_at"`
	PublishedAt  *time.Time `json:"published_at,omitempty"`
	AnsweredAt   *time.Time `json:"answered_at,omitempty"`
	URL          string     `json:"url"`
}

// Public reports whether anyone may see the question.
func (q Question) Public() bool {
	return q.Visibility == "public" && (q.Status == StatusPublished || q.Status == StatusAnswered || q.Status == StatusClosed)
}

// Path is the question's page, with a readable slug.
func (q Question) Path() string {
	if q.Slug == "" {
		return "/cau-hoi/" + itoa(q.ID)
	}
	return "/cau-hoi/" + itoa(q.ID) + "-" + q.Slug
}

// Reply is a citizen's reply or an official answer.
type Reply struct {
	ID         int64     `json:"id"`
	QuestionID int64     `json:"question_id"`
	AuthorName string    `json:"author_name"`
	Body       string    `json:"body"`
	BodyHTML   string    `json:"body_html"`
	Official   bool      `json:"official"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
}

// Limits on what citizens send.
const (
	MinTitle = 5
	MaxTitle = 200
	MinBody  = 10
	MaxBody  = 10000
	MaxReply = 5000
	MaxShort = 100 // names, places, contact
)

// NewQuestion is what an asker sends, from the form or the API.
type NewQuestion struct {
	Title      string `json:"title"`
	Body       string `json:"body"`
	Category   string `json:"category"`
	Province   string `json:"province"`
	District   string `json:"district"`
	Commune    string `json:"commune"`
	Language   string `json:"language"`
	Kind       string `json:"kind"`
	Visibility string `json:"visibility"`
	Name       string `json:"name"`
	Contact    string `json:"contact"`
	// Phone and Email (API) are folded into Contact, where the
	// notifications find them.
	Phone   string `json:"phone"`
	Email   string `json:"email"`
	Consent bool   `json:"consent"`
	// CaseCode is the tracking code of an earlier submission this question
	// continues (the same case).
	CaseCode string `json:"case_code"`
	// AuthorID is the signed-in asker, if any (never from the request body).
	AuthorID *int64 `json:"-"`
	// RequireConsent is set by the web form, which always asks.
	RequireConsent bool `json:"-"`
}

// FieldError names the field a validation error is about, so a form can
// show it beside the field.
type FieldError struct {
	Field string
	*apperr.Error
}

func fieldErr(field, code, msg string) *apperr.Error {
	return &apperr.Error{Kind: apperr.Invalid, Code: code, Message: msg, Err: fieldTag(field)}
}

type fieldTag string

func (f fieldTag) Error() string { return string(f) }

// Validate trims and checks the question. Text must be valid UTF-8 and
// within limits; the category is checked against the store by the service.
func (n *NewQuestion) Validate() error {
	for _, p := range []*string{&n.Title, &n.Body, &n.Category, &n.Province, &n.District, &n.Commune, &n.Language, &n.Kind, &n.Visibility, &n.Name, &n.Contact, &n.Phone, &n.Email, &n.CaseCode} {
		if !utf8.ValidString(*p) {
			return fieldErr("", "invalid_utf8", "text is not valid UTF-8")
		}
		*p = strings.TrimSpace(strings.ToValidUTF8(*p, ""))
	}
	if strings.ContainsRune(n.Title+n.Body, 0) {
		return fieldErr("body", "bad_text", "text contains a NUL character")
	}
	switch l := utf8.RuneCountInString(n.Title); {
	case l == 0:
		return fieldErr("title", "title_required", "a title is required")
	case l < MinTitle:
		return fieldErr("title", "title_too_short", "the title is too short")
	case l > MaxTitle:
		return fieldErr("title", "title_too_long", "the title is longer than 200 characters")
	}
	switch l := utf8.RuneCountInString(n.Body); {
	case l == 0:
		return fieldErr("body", "body_required", "the question text is required")
	case l < MinBody:
		return fieldErr("body", "body_too_short", "the question text is too short")
	case l > MaxBody:
		return fieldErr("body", "body_too_long", "the question text is longer than 10000 characters")
	}
	if n.Category == "" {
		return fieldErr("category", "category_required", "choose a category")
	}
	for _, s := range []string{n.Province, n.District, n.Commune, n.Name, n.Contact} {
		if utf8.RuneCountInString(s) > MaxShort {
			return fieldErr("", "too_long", "a field is longer than 100 characters")
		}
	}
	if n.Language == "" {
		n.Language = "vi"
	}
	if len(n.Language) > 16 {
		return fieldErr("language", "bad_language", "language must be a short code such as vi, hmn, tay, th, km")
	}
	switch n.Kind {
	case "":
		n.Kind = "question"
	case "question", "feedback", "complaint", "denunciation":
	default:
		return fieldErr("kind", "bad_kind", "kind must be question, feedback, complaint or denunciation")
	}
	switch n.Visibility {
	case "":
		n.Visibility = "public"
	case "public", "private":
	default:
		return fieldErr("visibility", "bad_visibility", "visibility must be public or private")
	}
	// Complaints and denunciations follow legal procedures: never public.
	if n.Kind == "complaint" || n.Kind == "denunciation" {
		n.Visibility = "private"
	}
	if err := n.normalizeContacts(); err != nil {
		return err
	}
	if len(n.CaseCode) > 32 {
		return fieldErr("case_code", "bad_case_code", "a tracking code is at most 32 characters")
	}
	personal := n.Name != "" || n.Contact != "" || n.AuthorID != nil
	if !n.Consent && (n.RequireConsent || personal) {
		return fieldErr("consent", "consent_required", "agree to how your data is used before sending")
	}
	return nil
}

// Sort orders for lists.
const (
	SortNewest   = "newest"
	SortMostAsk  = "most_asked"
	SortAnswered = "recently_answered"
)

// QuestionFilter selects public questions.
type QuestionFilter struct {
	CategoryID   *int64
	Sort         string
	Page         int // from 1
	PerPage      int
	AnsweredOnly bool
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// normalizeContacts reads the contact fields (the form's one "phone or
// e-mail" field, the API's phone and email) into normalised Phone and
// Email, the person's keys: 0912 345 678 and +84912345678 are one number.
// Contact then lists both, which is where notifications find them.
func (n *NewQuestion) normalizeContacts() error {
	if n.Contact != "" {
		kind, norm, err := contact.Parse(n.Contact)
		if err != nil {
			return fieldErr("contact", "bad_contact", err.Error())
		}
		switch {
		case kind == contact.KindEmail && n.Email == "":
			n.Email = norm
		case kind == contact.KindPhone && n.Phone == "":
			n.Phone = norm
		}
	}
	if n.Phone != "" {
		norm, err := contact.Phone(n.Phone)
		if err != nil {
			return fieldErr("phone", "bad_phone", err.Error())
		}
		n.Phone = norm
	}
	if n.Email != "" {
		norm, err := contact.Email(n.Email)
		if err != nil {
			return fieldErr("email", "bad_email", err.Error())
		}
		n.Email = norm
	}
	var contacts []string
	for _, c := range []string{n.Phone, n.Email} {
		if c != "" {
			contacts = append(contacts, c)
		}
	}
	n.Contact = strings.Join(contacts, ", ")
	return nil
}
