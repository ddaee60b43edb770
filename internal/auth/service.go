package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/ratelimit"
)

// Login failure budgets, per attemptWindow. Only failures count: a
// budget is taken before the password is checked (so concurrent guesses
// cannot overrun it) and given back when the login succeeds.
//   - Per client address, first, so a flood from one address stops before
//     it touches any account's state. Generous: a whole commune may share
//     one address behind a carrier's NAT.
//   - A client holding a device cookie for the login (it logged in as that
//     account before) is then judged only by that device's own budget.
//   - Any other client by its (login, address) pair, then by the budget
//     that all untrusted clients of the login share: an attack from many
//     addresses can lock strangers out of an account, never its owner's
//     devices.
const (
	maxFailuresPerIP        = 50
	maxFailuresPerPair      = 5
	maxFailuresPerDevice    = 5
	maxUntrustedPerLogin    = 10
	attemptWindow           = 15 * time.Minute
	deviceSecretRandomBytes = 32
)

// Service logs people in and out.
type Service struct {
	Store      *Store
	Limiter    ratelimit.Limiter
	SessionTTL time.Duration
	Log        *slog.Logger
	// SigningKey returns the deployment's signing key (SIGNING_KEY, or the
	// one generated once and kept in PostgreSQL). Device cookies are signed
	// with a key derived from it, so every node recognises them and a
	// restart keeps them. Nil: a random key per process (tests).
	SigningKey func(context.Context) ([]byte, error)

	deviceMu sync.Mutex
	device   *deviceSigner // nil until the signing key is first known
}

// Credentials is one login attempt.
type Credentials struct {
	Login, Password string
	IP              string // the client address (web.ClientIP)
	Device          string // the device cookie the client sent, if any
}

// Session is a successful login.
type Session struct {
	Token  string
	User   *User
	Device string // a fresh device cookie for the client to keep
}

// budget is one failure count an attempt is charged to.
type budget struct {
	key   string
	limit int
	// own marks the client's own count (pair or device), which a success
	// clears; the shared ones only get this attempt back.
	own bool
}

// devices returns the device-cookie signer, deriving its key from the
// signing key on first use (a node may start before the database that
// holds the key is migrated, so a failure is retried next time).
func (s *Service) devices(ctx context.Context) (*deviceSigner, error) {
	s.deviceMu.Lock()
	defer s.deviceMu.Unlock()
	if s.device != nil {
		return s.device, nil
	}
	var key []byte
	if s.SigningKey == nil {
		key = make([]byte, deviceSecretRandomBytes)
		_, _ = rand.Read(key)
	} else {
		k, err := s.SigningKey(ctx)
		if err != nil {
			return nil, fmt.Errorf("device cookie key: %w", err)
		}
		m := hmac.New(sha256.New, k)
		m.Write([]byte("auth device cookie v1"))
		key = m.Sum(nil)
	}
	s.device = &deviceSigner{key: key, now: time.Now}
	return s.device, nil
}

// Login checks credentials and starts a session. Oversized input is
// Invalid before anything else looks at it; past a budget the answer is
// TooMany with RetryAfter, even for the right password, so guessing gains
// nothing; wrong credentials are Unauthorized.
func (s *Service) Login(ctx context.Context, c Credentials) (*Session, error) {
	if err := checkCredentialSize(c.Login, c.Password); err != nil {
		return nil, err
	}
	login := loginForLookup(c.Login)
	if login == "" || c.Password == "" {
		return nil, apperr.Invalidf("credentials_required", "login and password are required")
	}
	folded, addr := strings.ToLower(login), addressKey(c.IP)
	devices, err := s.devices(ctx)
	if err != nil {
		return nil, err
	}
	budgets := []budget{{key: "login:ip:" + addr, limit: maxFailuresPerIP}}
	if id, ok := devices.verify(c.Device, folded); ok {
		budgets = append(budgets, budget{key: "login:device:" + id, limit: maxFailuresPerDevice, own: true})
	} else {
		budgets = append(budgets,
			budget{key: "login:pair:" + addr + ":" + folded, limit: maxFailuresPerPair, own: true},
			budget{key: "login:user:" + folded, limit: maxUntrustedPerLogin})
	}
	held, err := s.take(ctx, budgets)
	if err != nil {
		return nil, err
	}
	u, ok, err := s.checkCredentials(ctx, login, strings.TrimSpace(c.Login), c.Password)
	if err != nil { // busy or an outage: not the client's failure
		s.giveBack(ctx, held, false)
		return nil, err
	}
	if !ok {
		s.Log.InfoContext(ctx, "login failed", "login", logField(login), "ip", logField(c.IP))
		return nil, &apperr.Error{Kind: apperr.Unauthorized, Code: "bad_credentials", Message: "wrong login or password"}
	}
	s.giveBack(ctx, held, true)
	token, err := s.Store.CreateSession(ctx, u.ID, s.SessionTTL)
	if err != nil {
		return nil, err
	}
	return &Session{Token: token, User: u, Device: devices.issue(folded)}, nil
}

// take charges one attempt to each budget in order and returns those
// charged. When one is spent, the earlier ones get the attempt back and
// the answer is TooMany. An unreachable limiter is skipped: failing closed
// would lock everyone out while Redis restarts, and argon2id still slows
// guessing.
func (s *Service) take(ctx context.Context, budgets []budget) ([]budget, error) {
	var held []budget
	for _, b := range budgets {
		ok, retry, err := s.Limiter.Allow(ctx, b.key, b.limit, attemptWindow)
		if err != nil {
			s.Log.WarnContext(ctx, "rate limiter unavailable", "err", err)
			continue
		}
		if !ok {
			s.giveBack(ctx, held, false)
			return nil, &apperr.Error{Kind: apperr.TooMany, Code: "too_many_attempts", Message: "too many login attempts; try again later", RetryAfter: retry}
		}
		held = append(held, b)
	}
	return held, nil
}

// giveBack returns an attempt that did not fail; after a success the
// client's own count starts over.
func (s *Service) giveBack(ctx context.Context, held []budget, succeeded bool) {
	for _, b := range held {
		var err error
		if succeeded && b.own {
			err = s.Limiter.Reset(ctx, b.key)
		} else {
			err = s.Limiter.Refund(ctx, b.key)
		}
		if err != nil {
			s.Log.WarnContext(ctx, "rate limiter unavailable", "err", err)
		}
	}
}

// checkCredentials reports whether password is login's. An unknown or
// disabled login costs the same argon2id check, so timing does not reveal
// which accounts exist.
func (s *Service) checkCredentials(ctx context.Context, login, typed, password string) (*User, bool, error) {
	u, err := s.Store.FindUserByLogin(ctx, login)
	// login is canonical (0912…); an account made before logins were
	// canonical may hold the number as it was typed (+84912…).
	if apperr.KindOf(err) == apperr.NotFound && typed != login && typed != "" {
		u, err = s.Store.FindUserByLogin(ctx, typed)
	}
	switch {
	case err == nil && !u.Disabled:
		ok, err := CheckPasswordContext(ctx, u.PasswordHash, password)
		return u, ok && err == nil, err
	case err == nil || apperr.KindOf(err) == apperr.NotFound:
		_, err := CheckPasswordContext(ctx, dummyHash, password)
		return nil, false, err
	default:
		return nil, false, err
	}
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.Store.DeleteSession(ctx, token)
}
