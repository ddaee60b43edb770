package callcenter

import (
	"errors"
	"fmt"
)

// Menu is the IVR configuration an admin edits (GET/PUT as JSON): the
// language menu, then the topic menu. Each level plays one prompt
// (PromptLanguageMenu, PromptTopicMenu); recorded prompts should name the
// options configured here.
type Menu struct {
	// Languages is no longer played: the language menu is built from
	// hotline_languages (language.go). Kept so saved menus still load.
	Languages []LanguageOption `json:"languages"`
	Topics    []TopicOption    `json:"topics"`
	// DefaultLanguage and DefaultTopic are digits chosen for callers who
	// press nothing after the retries (old phones without DTMF still get
	// through); empty means hang up politely instead.
	DefaultLanguage string `json:"default_language"`
	DefaultTopic    string `json:"default_topic"`
}

// LanguageOption is one entry of the language menu.
type LanguageOption struct {
	Digit string `json:"digit"`
	Code  string `json:"code"` // prompt directory and ticket language, e.g. "vi"
	Name  string `json:"name"`
}

// TopicOption is one entry of the topic menu.
type TopicOption struct {
	Digit    string            `json:"digit"`
	Key      string            `json:"key"`      // stable identifier stored with tickets and CDRs
	Names    map[string]string `json:"names"`    // by language code
	Category string            `json:"category"` // moderation category slug
	// Route is "agent" (queue for an operator, voicemail if none) or
	// "voicemail" (record a question at once).
	Route string `json:"route"`
}

// Topic routes.
const (
	RouteAgent     = "agent"
	RouteVoicemail = "voicemail"
)

// DefaultMenu is the seeded menu: 1 Vietnamese, 2 English; topics 1 land,
// 2 social policy, 3 other.
func DefaultMenu() Menu {
	return Menu{
		Languages: []LanguageOption{
			{Digit: "1", Code: "vi", Name: "Tiếng Việt"},
			{Digit: "2", Code: "en", Name: "English"},
		},
		Topics: []TopicOption{
			{Digit: "1", Key: "land", Names: map[string]string{"vi": "Đất đai", "en": "Land"}, Category: "dat-dai", Route: RouteAgent},
			{Digit: "2", Key: "social-policy", Names: map[string]string{"vi": "Chính sách xã hội", "en": "Social policy"}, Category: "chinh-sach-xa-hoi", Route: RouteAgent},
			{Digit: "3", Key: "other", Names: map[string]string{"vi": "Khác", "en": "Other"}, Category: "khac", Route: RouteAgent},
		},
		DefaultLanguage: "1",
		DefaultTopic:    "3",
	}
}

// ErrInvalidMenu wraps every validation failure of Menu.Validate.
var ErrInvalidMenu = errors.New("invalid hotline menu")

// Validate checks that digits are single keys, unique per level, and that
// defaults name existing options.
func (m Menu) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidMenu, fmt.Sprintf(format, a...))
	}
	if len(m.Languages) == 0 || len(m.Topics) == 0 {
		return bad("at least one language and one topic are needed")
	}
	seen := map[string]bool{}
	for _, l := range m.Languages {
		if !validDigit(l.Digit) || seen[l.Digit] {
			return bad("language digit %q must be one unique key 0-9", l.Digit)
		}
		if !validPromptPart(l.Code) {
			return bad("language code %q", l.Code)
		}
		seen[l.Digit] = true
	}
	if m.DefaultLanguage != "" && !seen[m.DefaultLanguage] {
		return bad("default language %q is not an option", m.DefaultLanguage)
	}
	seen = map[string]bool{}
	for _, t := range m.Topics {
		if !validDigit(t.Digit) || seen[t.Digit] {
			return bad("topic digit %q must be one unique key 0-9", t.Digit)
		}
		if t.Key == "" || len(t.Key) > 64 {
			return bad("topic %s needs a key", t.Digit)
		}
		if t.Route != RouteAgent && t.Route != RouteVoicemail {
			return bad("topic %s route %q: want agent or voicemail", t.Digit, t.Route)
		}
		seen[t.Digit] = true
	}
	if m.DefaultTopic != "" && !seen[m.DefaultTopic] {
		return bad("default topic %q is not an option", m.DefaultTopic)
	}
	return nil
}

func validDigit(s string) bool { return len(s) == 1 && s[0] >= '0' && s[0] <= '9' }

func (m Menu) topic(d byte) (TopicOption, bool) {
	for _, t := range m.Topics {
		if t.Digit[0] == d {
			return t, true
		}
	}
	return TopicOption{}, false
}
