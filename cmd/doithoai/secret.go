package main

import (
	"context"

	"github.com/doithoai/doithoai/internal/db"
)

// signingKey returns SIGNING_KEY, or else the key generated once and kept
// in PostgreSQL, so every node of a deployment signs and checks alike. It
// is read when first needed: a node may start before the database is
// migrated.
func (a *app) signingKey(ctx context.Context) ([]byte, error) {
	if a.cfg.SigningKey != "" {
		return []byte(a.cfg.SigningKey), nil
	}
	return db.Secret(ctx, a.pool, "signing_key")
}
