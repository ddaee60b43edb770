// Package contact normalises the ways citizens write a phone number or an
// e-mail address, so that one person is one key whatever channel they use:
// phone numbers become E.164 (Vietnam by default), e-mail addresses are
// trimmed and lower-cased. Plumbing: it imports no domain.
package contact

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// DefaultCountry is the calling code assumed for national numbers (0912…).
const DefaultCountry = "84"

// Errors callers may show or map to their own messages.
var (
	ErrEmpty     = errors.New("contact is empty")
	ErrBadPhone  = errors.New("not a phone number: use digits, e.g. 0912 345 678 or +84912345678")
	ErrBadEmail  = errors.New("not an e-mail address, e.g. ten@example.vn")
	ErrBadFormat = errors.New("give a phone number or an e-mail address")
)

// Phone returns s as an E.164 number (+84912345678). Spaces, dots, dashes,
// parentheses and a "(+84)" prefix are accepted; a national number starting
// with 0 and a bare 84… number are Vietnamese; any other "+CC…" or "00CC…"
// number is kept with its own country code. Anything else is ErrBadPhone.
func Phone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrEmpty
	}
	var digits strings.Builder
	plus := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+':
			// One plus, before any digit ("(+84)" has its parenthesis first).
			if plus || digits.Len() > 0 {
				return "", ErrBadPhone
			}
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return "", ErrBadPhone
		}
	}
	d := digits.String()
	switch {
	case plus:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case strings.HasPrefix(d, "0"):
		d = DefaultCountry + d[1:]
	case strings.HasPrefix(d, DefaultCountry) && len(d) >= 11:
	default:
		return "", ErrBadPhone
	}
	if strings.HasPrefix(d, DefaultCountry) {
		// Vietnamese numbers: 9 digits after 84 (mobile and landline since
		// 2018); 10 for a few old landlines, which we still keep.
		// +84 0912… written with the trunk zero
		// once. A subscriber number never starts with 0 itself, so a second
		// zero is refused rather than trimmed again: trimming only one would
		// make "840000000000" and its own result "+84000000000" disagree.
		rest := strings.TrimPrefix(d[len(DefaultCountry):], "0")
		if len(rest) < 9 || len(rest) > 10 || rest[0] == '0' {
			return "", ErrBadPhone
		}
		d = DefaultCountry + rest
	}
	// E.164: a country code that does not start with 0, at most 15 digits.
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return "", ErrBadPhone
	}
	return "+" + d, nil
}

// Email returns s trimmed and lower-cased, once it looks like an address:
// one "@", something before it, a dotted domain after it, no spaces or
// control characters, at most 254 bytes. Deliverability is not checked.
func Email(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", ErrEmpty
	}
	if len(s) > 254 || !utf8.ValidString(s) {
		return "", ErrBadEmail
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') {
		return "", ErrBadEmail
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", ErrBadEmail
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' || r == ',' || r == ';' || r == '"' || r == '\\' {
			return "", ErrBadEmail
		}
	}
	return s, nil
}

// Kind of a parsed contact.
type Kind string

// Kinds.
const (
	KindPhone Kind = "phone"
	KindEmail Kind = "email"
)

// Parse reads a free "phone or e-mail" field: with an "@" it is an
// e-mail address, otherwise a phone number.
func Parse(s string) (Kind, string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", ErrEmpty
	}
	if strings.Contains(s, "@") {
		v, err := Email(s)
		return KindEmail, v, err
	}
	v, err := Phone(s)
	if err != nil {
		return KindPhone, "", ErrBadFormat
	}
	return KindPhone, v, nil
}

// Keys returns the normalised phone and e-mail in a free contact field
// (one of them, or neither when s is empty or unreadable). Channels that
// store what the citizen typed use it to file the item under the person.
func Keys(s string) (phone, email string) {
	k, v, err := Parse(s)
	if err != nil {
		return "", ""
	}
	if k == KindEmail {
		return "", v
	}
	return v, ""
}
