package auth

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/ratelimit"
)

// Login attempt limits: per login (guessing one account's password) and per
// client address (trying many accounts). A successful login clears the
// per-login count; the per-IP one is generous because a whole commune may
// share one address behind a carrier's NAT.
const (
	maxAttemptsPerLogin = 5
	maxAttemptsPerIP    = 50
	attemptWindow       = 15 * time.Minute
)

// Service logs people in and out.
type Service struct {
	Store      *Store
	Limiter    ratelimit.Limiter
	SessionTTL time.Duration
	Log        *slog.Logger
}

// Login checks credentials and starts a session. Past a limit the answer is
// TooMany with RetryAfter, even for the right password, so guessing gains
// nothing.
func (s *Service) Login(ctx context.Context, login, password, ip string) (token string, u *User, err error) {
	login = strings.TrimSpace(login)
	if login == "" || password == "" {
		return "", nil, apperr.Invalidf("credentials_required", "login and password are required")
	}
	loginKey := "login:user:" + strings.ToLower(login)
	for _, lim := range []struct {
		key   string
		limit int
	}{{loginKey, maxAttemptsPerLogin}, {"login:ip:" + ip, maxAttemptsPerIP}} {
		ok, retry, err := s.Limiter.Allow(ctx, lim.key, lim.limit, attemptWindow)
		if err != nil {
			// Failing closed would lock everyone out while Redis restarts;
			// the argon2 cost still slows guessing.
			s.Log.WarnContext(ctx, "rate limiter unavailable", "err", err)
			continue
		}
		if !ok {
			return "", nil, &apperr.Error{Kind: apperr.TooMany, Code: "too_many_attempts", Message: "too many login attempts; try again later", RetryAfter: retry}
		}
	}
	u, err = s.Store.FindUserByLogin(ctx, login)
	ok := false
	switch {
	case err == nil && !u.Disabled:
		if ok, err = CheckPassword(u.PasswordHash, password); err != nil {
			return "", nil, err
		}
	case err == nil || apperr.KindOf(err) == apperr.NotFound:
		_, _ = CheckPassword(dummyHash, password) // same cost as a real check
	default:
		return "", nil, err
	}
	if !ok {
		s.Log.InfoContext(ctx, "login failed", "login", login, "ip", ip)
		return "", nil, &apperr.Error{Kind: apperr.Unauthorized, Code: "bad_credentials", Message: "wrong login or password"}
	}
	_ = s.Limiter.Reset(ctx, loginKey)
	if token, err = s.Store.CreateSession(ctx, u.ID, s.SessionTTL); err != nil {
		return "", nil, err
	}
	return token, u, nil
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.Store.DeleteSession(ctx, token)
}
