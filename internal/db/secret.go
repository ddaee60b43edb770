package db

import (
	"context"
	"crypto/rand"
	"fmt"
)

// Secret returns the 32-byte key called name that every node shares,
// generating it on first use. Concurrent first uses agree: the insert that
// loses the race changes nothing, and both read the winner's key.
func Secret(ctx context.Context, q Querier, name string) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	if _, err := q.Exec(ctx, `INSERT INTO server_secrets (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, fmt.Errorf("store secret %s: %w", name, err)
	}
	var key []byte
	if err := q.QueryRow(ctx, `SELECT secret FROM server_secrets WHERE name = $1`, name).Scan(&key); err != nil {
		return nil, fmt.Errorf("read secret %s: %w", name, err)
	}
	return key, nil
}
