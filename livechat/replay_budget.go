package livechat

import (
	"context"
	"sync"
	"time"

	"github.com/doithoai/doithoai/internal/ratelimit"
)

// replayBudget is how much history each client address may be replayed
// per minute, across all nodes (the limiter is Redis-backed when the node
// has Redis). Bytes are charged in replayUnit steps before a page is sent.
type replayBudget struct {
	limiter ratelimit.Limiter
	units   int // replayUnits per address per minute

	mu sync.Mutex
	// spent: address → when its budget refills, for addresses refused
	// lately on this node, so that their joins are refused before a page
	// is read from PostgreSQL for nothing. Guarded by mu; entries expire.
	spent map[string]time.Time
}

func newReplayBudget(l ratelimit.Limiter, bytesPerMinute int) *replayBudget {
	return &replayBudget{limiter: l, units: max(1, bytesPerMinute/replayUnit), spent: map[string]time.Time{}}
}

// charge takes size bytes from ip's budget; ok is false (retry: when it
// refills) once the budget is spent. A limiter that fails (Redis away)
// lets the page through: the per-socket join bucket still bounds it.
func (b *replayBudget) charge(ctx context.Context, ip string, size int) (retry time.Duration, ok bool) {
	for n := (size + replayUnit - 1) / replayUnit; n > 0; n-- {
		allowed, retry, err := b.limiter.Allow(ctx, "lc:replay:"+ip, b.units, time.Minute)
		if err == nil && !allowed {
			b.markSpent(ip, time.Now().Add(retry))
			return retry, false
		}
	}
	return 0, true
}

// exhausted reports whether ip was refused lately and how long until its
// budget refills.
func (b *replayBudget) exhausted(ip string) (retry time.Duration, yes bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	until, ok := b.spent[ip]
	if !ok {
		return 0, false
	}
	if retry = time.Until(until); retry <= 0 {
		delete(b.spent, ip)
		return 0, false
	}
	return retry, true
}

func (b *replayBudget) markSpent(ip string, until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.spent) >= 1024 {
		now := time.Now()
		for k, t := range b.spent {
			if !t.After(now) {
				delete(b.spent, k)
			}
		}
	}
	b.spent[ip] = until
}
