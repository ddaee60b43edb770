package auth

import (
	"context"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
)

// Register opens a citizen account and starts its session. In order of
// cost: the sizes and the form are checked, then the per-address limit,
// then whether the login is taken (one indexed lookup), and only then is
// the password hashed, in a bounded hashing slot.
//
// Errors: Invalid (the form), TooMany with RetryAfter (the address's limit,
// code too_many_registrations, or every hashing slot busy, code busy) and
// Conflict login_taken.
func (s *Service) Register(ctx context.Context, n NewUser, ip string) (token string, u *User, err error) {
	if err := checkCredentialSize(n.Login, n.Password); err != nil {
		return "", nil, err
	}
	if len(n.DisplayName) > maxNameBytes {
		return "", nil, apperr.Invalidf("name_too_long", "the name may have at most %d bytes", maxNameBytes)
	}
	n.Role, n.SIP = identity.RoleCitizen, false
	n.Login = CanonicalLogin(n.Login)
	if err := n.Validate(); err != nil {
		return "", nil, err
	}
	key := "register:ip:" + addressKey(ip)
	ok, retry, err := s.Limiter.Allow(ctx, key, maxRegistrationsPerIP, registrationWindow)
	switch {
	case err != nil:
		s.Log.WarnContext(ctx, "rate limiter unavailable", "err", err)
	case !ok:
		return "", nil, &apperr.Error{Kind: apperr.TooMany, Code: "too_many_registrations", Message: "too many accounts registered from this address; try again later", RetryAfter: retry}
	}
	if _, err := s.Store.FindUserByLogin(ctx, n.Login); err == nil {
		return "", nil, apperr.Conflictf("login_taken", "the login %q is taken", n.Login)
	} else if apperr.KindOf(err) != apperr.NotFound {
		return "", nil, err
	}
	if u, err = s.Store.CreateUser(ctx, n); err != nil {
		if apperr.As(err).Code == "busy" {
			_ = s.Limiter.Refund(ctx, key) // nothing was registered
		}
		return "", nil, err
	}
	if token, err = s.Store.CreateSession(ctx, u.ID, s.SessionTTL); err != nil {
		return "", nil, err
	}
	return token, u, nil
}
