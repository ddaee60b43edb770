package livechat

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/contact"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/moderation"
)

// Conversation is a support chat between a citizen and an operator:
// waiting in the queue → active once an operator accepts → closed, when
// its transcript and rating are kept and it becomes a feedback item.
type Conversation struct {
	ID           int64      `json:"id"`
	CitizenID    *int64     `json:"-"`
	Name         string     `json:"name"`
	Topic        string     `json:"topic"`
	Language     string     `json:"language"`
	Status       string     `json:"status"`
	OperatorID   *int64     `json:"-"`
	Operator     string     `json:"operator,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	AcceptedAt   *time.Time `json:"accepted_at,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	Rating       *int       `json:"rating,omitempty"`
	TrackingCode string     `json:"tracking_code,omitempty"`
	Room         string     `json:"room"`
}

// chatOperatorRoles may read and work every support chat: moderators, and
// admins who stand in for them. Leaders may not (they are staff for live
// sessions only), nor may anyone but the conversation's own citizen.
var chatOperatorRoles = []string{identity.RoleModerator, identity.RoleAdmin}

// isChatOperator reports whether u works support chats.
func isChatOperator(u *identity.User) bool { return u.HasRole(chatOperatorRoles...) }

// Conversation statuses.
const (
	ConvWaiting = "waiting"
	ConvActive  = "active"
	ConvClosed  = "closed"
	// ConvOffline: no operator took it; the citizen left a question instead.
	ConvOffline = "offline"
)

// QueueItem is a waiting conversation as the moderators' queue shows it.
type QueueItem struct {
	ID       int64     `json:"id"`
	Name     string    `json:"name"`
	Topic    string    `json:"topic"`
	Since    time.Time `json:"since"`
	Position int       `json:"position"`
}

// NewConversation is what a citizen submits to open a chat.
type NewConversation struct {
	Name     string `json:"name"`
	Topic    string `json:"topic"`
	Language string `json:"language"`
	// Consent to keeping the transcript; required (SPEC §4).
	Consent *bool `json:"consent"`
	// Phone is optional (E.164 once valid), kept only with consent: it
	// files the chat under the person and, with Notify, is where the
	// citizen is told of the case.
	Phone  string `json:"phone"`
	Notify bool   `json:"notify"`
	// CaseCode is the tracking code of an earlier case the chat continues.
	CaseCode string `json:"case_code"`

	CitizenID *int64 `json:"-"`
	IP        string `json:"-"`
}

// Validate trims and checks the fields.
func (n *NewConversation) Validate() error {
	n.Name = strings.TrimSpace(n.Name)
	n.Topic = strings.TrimSpace(n.Topic)
	if !utf8.ValidString(n.Name) || !utf8.ValidString(n.Topic) {
		return apperr.Invalidf("invalid_utf8", "text is not valid UTF-8")
	}
	if utf8.RuneCountInString(n.Name) > 80 {
		return apperr.Invalidf("name_too_long", "a name may be at most 80 characters")
	}
	if utf8.RuneCountInString(n.Topic) > 200 {
		return apperr.Invalidf("topic_too_long", "a topic may be at most 200 characters")
	}
	if n.Consent != nil && !*n.Consent || n.Name != "" && !n.consented() {
		// A name is personal data: kept only with the citizen's consent (SPEC §4).
		return apperr.Invalidf("consent_required", "agree to how the conversation is kept before starting")
	}
	if err := checkPhone(&n.Phone, n.consented()); err != nil {
		return err
	}
	n.Notify = n.Notify && n.Phone != ""
	if err := checkCaseCode(&n.CaseCode); err != nil {
		return err
	}
	if n.Language == "" {
		n.Language = "vi"
	}
	if len(n.Language) > 8 {
		return apperr.Invalidf("bad_language", "language is a short code such as vi")
	}
	return nil
}

func (n *NewConversation) consented() bool { return n.Consent != nil && *n.Consent }

// checkPhone normalises an optional phone number to E.164; one given
// without consent is refused, not silently dropped.
func checkPhone(phone *string, consent bool) error {
	*phone = strings.TrimSpace(*phone)
	if *phone == "" {
		return nil
	}
	if !consent {
		return apperr.Invalidf("consent_required", "agree to how your phone number is used before sending it")
	}
	p, err := contact.Phone(*phone)
	if err != nil {
		return apperr.Invalidf("bad_phone", "%s", err.Error())
	}
	*phone = p
	return nil
}

// checkCaseCode normalises an optional earlier tracking code and checks
// its form (a mistyped check digit is told at once, without a look-up).
func checkCaseCode(code *string) error {
	*code = moderation.NormalizeCode(*code)
	if *code == "" {
		return nil
	}
	if err := moderation.CheckCode(*code); err != nil {
		return apperr.Invalidf("bad_case_code", "the earlier tracking code %s is not a valid code; check it or leave it out", *code)
	}
	return nil
}

// validBody trims a chat line and checks it.
func validBody(body string, max int) (string, error) {
	body = strings.TrimSpace(body)
	if !utf8.ValidString(body) {
		return "", apperr.Invalidf("invalid_utf8", "text is not valid UTF-8")
	}
	if body == "" {
		return "", apperr.Invalidf("body_required", "the message is empty")
	}
	if utf8.RuneCountInString(body) > max {
		return "", apperr.Invalidf("body_too_long", "a message may be at most %d characters", max)
	}
	return body, nil
}

// The citizen's credential for a conversation is a random token: its
// sha256 is stored, the token itself travels in the lc_conv cookie
// ("{id}.{token}") or, for apps, in the join frame.
const convCookie = "lc_conv"

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// convCredential is one conversation token a request carries.
type convCredential struct {
	ID    int64
	Token string
}

// convCredentials reads the conversation cookie and the
// X-Conversation-Token header ("{id}.{token}" both).
func convCredentials(r *http.Request) []convCredential {
	var out []convCredential
	parse := func(v string) {
		id, tok, ok := strings.Cut(v, ".")
		n, err := strconv.ParseInt(id, 10, 64)
		if ok && err == nil && n > 0 && tok != "" {
			out = append(out, convCredential{n, tok})
		}
	}
	if c, err := r.Cookie(convCookie); err == nil {
		parse(c.Value)
	}
	if h := r.Header.Get("X-Conversation-Token"); h != "" {
		parse(h)
	}
	return out
}
