package callcenter

import (
	"slices"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
)

// Language is one hotline language, configured by admins
// (PUT /api/v1/hotline/languages/{code}). The language menu offers the
// active ones that have a language_menu prompt of their own, at MenuKey;
// a key belongs to one language, active or not.
type Language struct {
	Code      string    `json:"code"` // prompt language and ticket language: "vi", "hmn"
	Name      string    `json:"name"` // as staff read it: "Tiếng H'Mông"
	MenuKey   string    `json:"menu_key"`
	Active    bool      `json:"active"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DefaultLanguages is the seed of migrations/00063: Vietnamese and
// English active, the common minority languages inactive (their
// language_menu clips say the name in Vietnamese until recorded locally).
func DefaultLanguages() []Language {
	return []Language{
		{Code: "vi", Name: "Tiếng Việt", MenuKey: "1", Active: true},
		{Code: "en", Name: "English", MenuKey: "2", Active: true},
		{Code: "hmn", Name: "Tiếng H'Mông", MenuKey: "3"},
		{Code: "tay", Name: "Tiếng Tày", MenuKey: "4"},
		{Code: "tha", Name: "Tiếng Thái", MenuKey: "5"},
		{Code: "km", Name: "Tiếng Khmer", MenuKey: "6"},
		{Code: "dao", Name: "Tiếng Dao", MenuKey: "7"},
	}
}

// LanguageUpdate is the body of PUT /api/v1/hotline/languages/{code}.
type LanguageUpdate struct {
	Name    string `json:"name"`
	MenuKey string `json:"menu_key"`
	Active  bool   `json:"active"`
}

// validLanguageCode: lower-case letters, digits, '_' and '-', starting with
// a letter (it names prompts and is stored with tickets).
func validLanguageCode(code string) bool {
	return validPromptPart(code) && code[0] >= 'a' && code[0] <= 'z'
}

// validate checks an update for code and returns the language it makes,
// or an apperr.Invalid naming the field.
func (u LanguageUpdate) validate(code string) (Language, error) {
	l := Language{Code: code, Name: strings.TrimSpace(u.Name), MenuKey: strings.TrimSpace(u.MenuKey), Active: u.Active}
	switch {
	case !validLanguageCode(code):
		return l, apperr.Invalidf("bad_language_code", "the language code is 1-40 lower-case letters, digits, _ or -, starting with a letter")
	case l.Name == "" || len([]rune(l.Name)) > 60:
		return l, apperr.Invalidf("bad_language_name", "the language name is 1-60 characters")
	case !validDigit(l.MenuKey):
		return l, apperr.Invalidf("bad_menu_key", "the menu key is one digit 0-9")
	}
	return l, nil
}

// languageByKey returns the language at key among langs.
func languageByKey(langs []Language, key byte) (Language, bool) {
	for _, l := range langs {
		if l.MenuKey != "" && l.MenuKey[0] == key {
			return l, true
		}
	}
	return Language{}, false
}

// languageName returns the configured name of code, or code itself.
func languageName(langs []Language, code string) string {
	for _, l := range langs {
		if l.Code == code {
			return l.Name
		}
	}
	return code
}

// sortLanguages orders by menu key, the order callers hear them.
func sortLanguages(langs []Language) {
	slices.SortFunc(langs, func(a, b Language) int { return strings.Compare(a.MenuKey, b.MenuKey) })
}
