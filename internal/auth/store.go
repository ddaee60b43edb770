package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is the accounts and sessions storage.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const userColumns = `id, login, role, display_name, coalesce(phone, ''), coalesce(email, ''), password_hash, sip_agent, disabled, created_at`

func scanUser(row pgx.Row) (*User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Login, &u.Role, &u.DisplayName, &u.Phone, &u.Email, &u.PasswordHash, &u.SIPAgent, &u.Disabled, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.NotFoundf("no such user")
	}
	return &u, err
}

// columns validates n and derives what its row stores: the password hash,
// the login as phone or e-mail, and the SIP digest HA1 when it is an agent.
func (n NewUser) columns() (hash string, phone, email, ha1 *string, err error) {
	if err := n.Validate(); err != nil {
		return "", nil, nil, nil, err
	}
	if hash, err = HashPassword(n.Password); err != nil {
		return "", nil, nil, nil, err
	}
	if IsPhone(n.Login) {
		phone = &n.Login
	} else if IsEmail(n.Login) {
		email = &n.Login
	}
	if n.SIP {
		h := SIPHA1(n.Login, n.SIPSecret)
		ha1 = &h
	}
	return hash, phone, email, ha1, nil
}

// CreateUser stores a validated new account. A login that exists (case
// insensitive) is a Conflict.
func (s *Store) CreateUser(ctx context.Context, n NewUser) (*User, error) {
	hash, phone, email, ha1, err := n.columns()
	if err != nil {
		return nil, err
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `
		INSERT INTO users (login, role, display_name, phone, email, password_hash, sip_agent, sip_ha1)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		RETURNING `+userColumns,
		n.Login, n.Role, n.DisplayName, phone, email, hash, n.SIP, ha1))
	if db.IsUniqueViolation(err, "users_login_key") {
		return nil, apperr.Conflictf("login_taken", "the login %q is taken", n.Login)
	}
	return u, err
}

// FindUserByLogin returns the account with login (case insensitive).
func (s *Store) FindUserByLogin(ctx context.Context, login string) (*User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE lower(login) = lower($1)`, login))
}

// FindUserByID returns the account with id.
func (s *Store) FindUserByID(ctx context.Context, id int64) (*User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// SetPassword replaces the web password. The SIP secret is separate and
// stays as it is (SetSIPSecret).
func (s *Store) SetPassword(ctx context.Context, id int64, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, id, hash)
	return err
}

// SetSIPSecret makes the moderator or admin login a SIP agent with secret
// (from NewSIPSecret), replacing any previous one: a phone still using the
// old secret is refused at its next REGISTER.
func (s *Store) SetSIPSecret(ctx context.Context, login, secret string) (*User, error) {
	u, err := s.FindUserByLogin(ctx, login)
	if err != nil {
		return nil, err
	}
	if err := CanBeSIPAgent(u.Role); err != nil {
		return nil, err
	}
	if len(secret) < sipSecretLen {
		return nil, apperr.Invalidf("weak_sip_secret", "a SIP secret needs at least %d characters", sipSecretLen)
	}
	// The digest user is the login as stored: HA1 is computed with it.
	return scanUser(s.pool.QueryRow(ctx, `
		UPDATE users SET sip_agent = true, sip_ha1 = $2 WHERE id = $1
		RETURNING `+userColumns, u.ID, SIPHA1(u.Login, secret)))
}

// CreateSession starts a session for userID and returns its token. Only
// the token's SHA-256 is stored, so a leaked table does not leak sessions.
func (s *Store) CreateSession(ctx context.Context, userID int64, ttl time.Duration) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(token))
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + $3::interval)`,
		sum[:], userID, ttl.String())
	return token, err
}

// FindSessionUser returns the user of a live session token.
func (s *Store) FindSessionUser(ctx context.Context, token string) (*User, error) {
	sum := sha256.Sum256([]byte(token))
	return scanUser(s.pool.QueryRow(ctx, `
		SELECT `+userColumns+` FROM users
		WHERE id = (SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > now()) AND NOT disabled`, sum[:]))
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	sum := sha256.Sum256([]byte(token))
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, sum[:])
	return err
}

// DeleteExpiredSessions removes sessions past their expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= now()`)
	return tag.RowsAffected(), err
}
