// Package identity carries the signed-in user through a request's context.
// It is its own tiny package so that both the auth middleware (which sets
// it) and the web renderer (which shows it) can use it without a cycle.
package identity

import "context"

// Roles, from least to most trusted.
const (
	RoleCitizen   = "citizen"
	RoleModerator = "moderator"
	RoleLeader    = "leader"
	RoleAdmin     = "admin"
)

// User is the signed-in account as handlers see it.
type User struct {
	ID          int64
	Login       string
	Role        string
	DisplayName string
	Bearer      bool // authenticated by Authorization: Bearer, not by cookie
}

// Name is what the UI shows for the user.
func (u *User) Name() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Login
}

// IsStaff reports whether the user works the queue (moderator, leader, admin).
func (u *User) IsStaff() bool {
	return u != nil && (u.Role == RoleModerator || u.Role == RoleLeader || u.Role == RoleAdmin)
}

// HasRole reports whether the user has one of roles.
func (u *User) HasRole(roles ...string) bool {
	if u == nil {
		return false
	}
	for _, r := range roles {
		if u.Role == r {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// With returns ctx carrying u.
func With(ctx context.Context, u *User) context.Context { return context.WithValue(ctx, ctxKey{}, u) }

// From returns the signed-in user, if any.
func From(ctx context.Context) (*User, bool) {
	u, ok := ctx.Value(ctxKey{}).(*User)
	return u, ok && u != nil
}
