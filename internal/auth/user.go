// Package auth keeps accounts and sessions: argon2id passwords, server-side
// sessions stored as hashed tokens, login by form and by API (cookie and
// bearer token), rate-limited failures, and the middleware that puts the
// signed-in user in the request context.
package auth

import (
	"context"
	"github.com/doithoai/doithoai/internal/contact"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
)

// User is an account.
type User struct {
	ID           int64
	Login        string
	Role         string
	DisplayName  string
	Phone        string
	Email        string
	PasswordHash string
	SIPAgent     bool // may register a SIP phone (moderators and admins only)
	Disabled     bool
	CreatedAt    time.Time
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Login       string
	Role        string
	Password    string
	DisplayName string
	SIP         bool   // also a SIP agent (moderators and admins only)
	SIPSecret   string // the agent's SIP secret (NewSIPSecret); only its HA1 is stored
}

var phoneRe = regexp.MustCompile(`^(\+?84|0)\d{9,10}$`)
var loginRe = regexp.MustCompile(`^[a-zA-Z0-9._@+-]{3,64}$`)

// Validate checks a new account.
func (n *NewUser) Validate() error {
	n.Login = strings.TrimSpace(n.Login)
	switch n.Role {
	case identity.RoleCitizen, identity.RoleModerator, identity.RoleLeader, identity.RoleAdmin:
	default:
		return apperr.Invalidf("bad_role", "role must be citizen, moderator, leader or admin")
	}
	if !loginRe.MatchString(n.Login) {
		return apperr.Invalidf("bad_login", "login must be 3–64 letters, digits or . _ @ + -")
	}
	if len(n.Password) < 8 {
		return apperr.Invalidf("weak_password", "password must have at least 8 characters")
	}
	if n.SIP {
		if err := CanBeSIPAgent(n.Role); err != nil {
			return err
		}
		if len(n.SIPSecret) < sipSecretLen {
			return apperr.Invalidf("weak_sip_secret", "a SIP secret needs at least %d characters", sipSecretLen)
		}
	}
	return nil
}

// CanBeSIPAgent refuses roles that may not register a SIP phone: an agent's
// phone shows callers' numbers, which only moderators and admins may see.
func CanBeSIPAgent(role string) error {
	if role != identity.RoleModerator && role != identity.RoleAdmin {
		return apperr.Invalidf("bad_role", "only moderators and admins can be SIP agents, not a %s", role)
	}
	return nil
}

// IsPhone reports whether login looks like a Vietnamese phone number.
func IsPhone(login string) bool { return phoneRe.MatchString(login) }

// CanonicalLogin is the one form a citizen's login is kept in, so that one
// person cannot hold three accounts as 0912345678, 84912345678 and
// +84912345678: a Vietnamese phone number in national form however it was
// written (spaces, dashes, "(+84)"), an e-mail address lower-cased, and
// anything else trimmed only.
func CanonicalLogin(login string) string {
	login = strings.TrimSpace(login)
	if strings.Contains(login, "@") {
		if e, err := contact.Email(login); err == nil {
			return e
		}
		return login
	}
	if e164, err := contact.Phone(login); err == nil && strings.HasPrefix(e164, "+"+contact.DefaultCountry) {
		return "0" + e164[len(contact.DefaultCountry)+1:]
	}
	return login
}

// loginForLookup is what a typed login is looked up (and rate limited) as.
// A login with spaces or parentheses can be no stored login (loginRe), so
// a number written "0912 345 678" or "(+84) 912-345-678" is read as its
// canonical form; any other login is looked up as typed, so accounts made
// before logins were canonical keep working.
func loginForLookup(login string) string {
	login = strings.TrimSpace(login)
	// A Vietnamese number in any form (+84 912…, 84912…) is one login and
	// one login budget: its national form (Login tries the typed form too).
	if c := CanonicalLogin(login); strings.ContainsAny(login, " ()") || (c != login && IsPhone(c) && !strings.Contains(login, "@")) {
		return c
	}
	return login
}

// IsEmail reports whether login is an e-mail address.
func IsEmail(login string) bool {
	a, err := mail.ParseAddress(login)
	return err == nil && a.Address == login
}

// Identity is the request-context view of u.
func (u *User) Identity() *identity.User {
	return &identity.User{ID: u.ID, Login: u.Login, Role: u.Role, DisplayName: u.DisplayName}
}

// UserFrom returns the signed-in user of ctx.
func UserFrom(ctx context.Context) (*identity.User, bool) { return identity.From(ctx) }
