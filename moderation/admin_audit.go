package moderation

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/jackc/pgx/v5"
)

// AdminEntry is one admin action in the admin audit log: who did what to
// which target, with the target's state before and after (nil when it did
// not exist or no longer does). Secrets and password hashes never go in.
type AdminEntry struct {
	ID         int64           `json:"id"`
	ActorID    int64           `json:"actor_id"`
	ActorLogin string          `json:"actor"`
	Action     string          `json:"action"` // "user.create", "category.update", …
	Target     string          `json:"target"` // "user:12", "category:dat-dai", …
	At         time.Time       `json:"at"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
}

// AdminAudit appends an admin action to the audit log through q, which
// should be the transaction that made the change, so that the change and
// its entry commit together or not at all. Every domain's admin handlers
// call it (internal/auth gets it passed in by cmd/doithoai).
func AdminAudit(ctx context.Context, q db.Querier, actor *identity.User, action, target string, before, after any) error {
	b, err := auditJSON(before)
	if err != nil {
		return fmt.Errorf("moderation.AdminAudit: %w", err)
	}
	a, err := auditJSON(after)
	if err != nil {
		return fmt.Errorf("moderation.AdminAudit: %w", err)
	}
	var id *int64
	login := ""
	if actor != nil {
		login = actor.Login
		if actor.ID != 0 { // 0: not an account (the command line)
			id = &actor.ID
		}
	}
	if _, err := q.Exec(ctx, `INSERT INTO admin_audit (actor_id, actor_login, action, target, before, after)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, login, action, target, b, a); err != nil {
		return fmt.Errorf("moderation.AdminAudit: %w", err)
	}
	return nil
}

// auditJSON is v as JSON, or SQL NULL for nil.
func auditJSON(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return raw, nil
	}
	return json.Marshal(v)
}

// AdminAuditFilter narrows FindAdminAudit.
type AdminAuditFilter struct {
	Target string // exact target, or "" for all
	Limit  int
}

// FindAdminAudit lists admin audit entries, newest first.
func (s *Store) FindAdminAudit(ctx context.Context, f AdminAuditFilter) (_ []AdminEntry, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindAdminAudit")
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 200
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, coalesce(actor_id, 0), actor_login, action, target, at, before, after
		FROM admin_audit WHERE ($1 = '' OR target = $1) ORDER BY at DESC, id DESC LIMIT $2`, f.Target, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("moderation.FindAdminAudit: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[AdminEntry])
}
