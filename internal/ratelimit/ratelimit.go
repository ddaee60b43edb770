// Package ratelimit counts events per key in fixed windows, in Redis when the
// deployment has it (so every node shares the count) and in memory otherwise.
package ratelimit

import (
	"context"
	"time"
)

// Limiter admits at most limit events per key per window.
type Limiter interface {
	// Allow records one event for key and reports whether it is within the
	// limit; when not, retryAfter says when the window reopens.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (ok bool, retryAfter time.Duration, err error)
	// Peek reports whether one more event for key would be within limit,
	// without recording one: for budgets charged only on some outcomes
	// (a failed look-up), checked before the work that decides it.
	Peek(ctx context.Context, key string, limit int) (ok bool, retryAfter time.Duration, err error)
	// Reset forgets key (e.g. after a successful login).
	Reset(ctx context.Context, key string) error
}
