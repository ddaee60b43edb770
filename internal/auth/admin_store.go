package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/jackc/pgx/v5"
)

// AuditFunc appends an admin action to the audit log inside q, the
// transaction of the change. The audit log lives in moderation, which
// internal/ may not import, so the node passes moderation.AdminAudit in.
type AuditFunc func(ctx context.Context, q db.Querier, actor *identity.User, action, target string, before, after any) error

// auditUser is what the audit log keeps of an account: never its password
// hash or SIP HA1.
type auditUser struct {
	Login    string `json:"login"`
	Role     string `json:"role"`
	Name     string `json:"name"`
	SIPAgent bool   `json:"sip_agent"`
	Disabled bool   `json:"disabled"`
}

func (u *User) audit() auditUser {
	return auditUser{Login: u.Login, Role: u.Role, Name: u.DisplayName, SIPAgent: u.SIPAgent, Disabled: u.Disabled}
}

func (u *User) target() string { return fmt.Sprintf("user:%d", u.ID) }

// FindUsers lists accounts whose login, name, phone or e-mail contains q
// (all when q is empty), newest first, at most limit.
func (s *Store) FindUsers(ctx context.Context, q string, limit int) ([]*User, error) {
	q = strings.TrimSpace(q)
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users
		WHERE $1 = '' OR login ILIKE $2 OR display_name ILIKE $2 OR coalesce(phone, '') ILIKE $2 OR coalesce(email, '') ILIKE $2
		ORDER BY id DESC LIMIT $3`, q, like, limit)
	if err != nil {
		return nil, fmt.Errorf("auth.FindUsers: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("auth.FindUsers: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UserChange is one admin change to an account; nil fields stay.
type UserChange struct {
	Role     *string
	Disabled *bool
	Password *string // a new web password (ends the user's sessions)
	// SIPSecret, when set, makes the account a SIP agent with this secret
	// (from NewSIPSecret), replacing any previous one.
	SIPSecret *string
	// NoSIP stops the account being a SIP agent.
	NoSIP bool
}

// AdminUpdateUser applies c to account id and writes its audit entry in
// the same transaction. An admin may not change their own role or disable
// themselves (no admin locks the last door behind them); an account whose
// role can no longer be a SIP agent stops being one. Disabling or a new
// password ends the account's sessions at once.
func (s *Store) AdminUpdateUser(ctx context.Context, audit AuditFunc, actor *identity.User, id int64, c UserChange) (*User, error) {
	if c.Role != nil {
		if err := validRole(*c.Role); err != nil {
			return nil, err
		}
	}
	if c.Password != nil && len(*c.Password) < 8 {
		return nil, apperr.Invalidf("weak_password", "password must have at least 8 characters")
	}
	if c.Password != nil && len(*c.Password) > maxPasswordBytes {
		return nil, apperr.Invalidf("password_too_long", "the password is too long")
	}
	var hash string
	if c.Password != nil {
		h, err := HashPassword(*c.Password)
		if err != nil {
			return nil, err
		}
		hash = h
	}
	var after *User
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if before.ID == actor.ID && (c.Role != nil && *c.Role != before.Role || c.Disabled != nil && *c.Disabled) {
			return apperr.Invalidf("own_account", "you cannot change your own role or disable yourself")
		}
		role, disabled, sip := before.Role, before.Disabled, before.SIPAgent
		if c.Role != nil {
			role = *c.Role
		}
		if c.Disabled != nil {
			disabled = *c.Disabled
		}
		var ha1 *string
		keepHA1 := true
		if c.SIPSecret != nil {
			if err := CanBeSIPAgent(role); err != nil {
				return err
			}
			h := SIPHA1(before.Login, *c.SIPSecret)
			ha1, keepHA1, sip = &h, false, true
		}
		if c.NoSIP || CanBeSIPAgent(role) != nil {
			ha1, keepHA1, sip = nil, false, false
		}
		if after, err = scanUser(tx.QueryRow(ctx, `
			UPDATE users SET role = $2, disabled = $3, sip_agent = $4,
				sip_ha1 = CASE WHEN $5 THEN sip_ha1 ELSE $6 END,
				password_hash = CASE WHEN $7 = '' THEN password_hash ELSE $7 END
			WHERE id = $1 RETURNING `+userColumns, id, role, disabled, sip, keepHA1, ha1, hash)); err != nil {
			return fmt.Errorf("auth.AdminUpdateUser: %w", err)
		}
		if disabled && !before.Disabled || hash != "" {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
				return fmt.Errorf("auth.AdminUpdateUser: %w", err)
			}
		}
		action := "user.update"
		b, a := any(before.audit()), any(after.audit())
		if hash == "" && c.SIPSecret == nil && before.audit() == after.audit() {
			return nil // nothing changed (enabling an enabled account): nothing to audit
		}
		switch {
		case hash != "":
			action, b, a = "user.password_reset", nil, map[string]bool{"password_changed": true}
		case c.SIPSecret != nil:
			action, a = "user.sip_secret", map[string]any{"sip_agent": true, "secret_rotated": true, "role": after.Role}
		}
		return audit(ctx, tx, actor, action, after.target(), b, a)
	})
	return after, err
}

// AdminCreateUser creates the account n (validated as CreateUser does)
// with its audit entry in the same transaction.
func (s *Store) AdminCreateUser(ctx context.Context, audit AuditFunc, actor *identity.User, n NewUser) (*User, error) {
	hash, phone, email, ha1, err := n.columns()
	if err != nil {
		return nil, err
	}
	var u *User
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		u, err = scanUser(tx.QueryRow(ctx, `
			INSERT INTO users (login, role, display_name, phone, email, password_hash, sip_agent, sip_ha1)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+userColumns,
			n.Login, n.Role, n.DisplayName, phone, email, hash, n.SIP, ha1))
		if db.IsUniqueViolation(err, "users_login_key") {
			return apperr.Conflictf("login_taken", "the login %q is taken", n.Login)
		}
		if err != nil {
			return fmt.Errorf("auth.AdminCreateUser: %w", err)
		}
		return audit(ctx, tx, actor, "user.create", u.target(), nil, u.audit())
	})
	return u, err
}

// validRole refuses a role that is not one of the four.
func validRole(role string) error {
	switch role {
	case identity.RoleCitizen, identity.RoleModerator, identity.RoleLeader, identity.RoleAdmin:
		return nil
	}
	return apperr.Invalidf("bad_role", "role must be citizen, moderator, leader or admin")
}
