// Package ratelimit counts events per key in fixed windows, in Redis when the
// deployment has it (so every node shares the count) and in memory otherwise.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Limiter admits at most limit events per key per window.
//
// Keys may carry client data (a login, an address): both implementations
// store a key longer than maxKeyLen as a short prefix and its SHA-256, so
// no caller can make the limiter hold more than a few hundred bytes a key.
type Limiter interface {
	// Allow records one event for key if it is within the limit and
	// reports whether it was; a refused event is not recorded, and
	// retryAfter says when the window reopens.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (ok bool, retryAfter time.Duration, err error)
	// Refund takes back one recorded event of key (the attempt it
	// admitted turned out not to count, e.g. a login that succeeded).
	Refund(ctx context.Context, key string) error
	// Peek reports whether one more event for key would be within limit,
	// without recording one: for budgets charged only on some outcomes
	// (a failed look-up), checked before the work that decides it.
	Peek(ctx context.Context, key string, limit int) (ok bool, retryAfter time.Duration, err error)
	// Reset forgets key (e.g. after a successful login).
	Reset(ctx context.Context, key string) error
}

// Keys up to maxKeyLen bytes are stored as they are; longer ones keep
// keptPrefix bytes (readable in Redis) followed by their hash.
const (
	maxKeyLen  = 128
	keptPrefix = 48
)

// storedKey is key bounded in size; distinct keys stay distinct.
func storedKey(key string) string {
	if len(key) <= maxKeyLen {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return key[:keptPrefix] + "#sha256:" + hex.EncodeToString(sum[:])
}
