package ratelimit

import (
	"context"
	"sync"
	"time"
)

// maxMemoryKeys caps the in-process map (~250 bytes a key, so ~25 MB at
// most): past it a new key evicts an expired window, or failing that the
// window nearest its end among a few.
const maxMemoryKeys = 100_000

// Memory is the single-node limiter.
type Memory struct {
	mu      sync.Mutex
	windows map[string]*window // storedKey → current window; guarded by mu
	now     func() time.Time
	sweeps  int // calls since the last full sweep; guarded by mu
}

type window struct {
	count int
	ends  time.Time
}

// NewMemory returns an in-process limiter.
func NewMemory() *Memory { return &Memory{windows: map[string]*window{}, now: time.Now} }

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string, limit int, per time.Duration) (bool, time.Duration, error) {
	key = storedKey(key)
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweep(now)
	w := m.windows[key]
	if w == nil || !now.Before(w.ends) {
		if w == nil && len(m.windows) >= maxMemoryKeys {
			m.evictOne(now)
		}
		w = &window{ends: now.Add(per)}
		m.windows[key] = w
	}
	if w.count >= limit {
		return false, w.ends.Sub(now), nil
	}
	w.count++
	return true, 0, nil
}

// Refund implements Limiter.
func (m *Memory) Refund(_ context.Context, key string) error {
	key = storedKey(key)
	m.mu.Lock()
	defer m.mu.Unlock()
	if w := m.windows[key]; w != nil && w.count > 0 {
		w.count--
	}
	return nil
}

// Peek implements Limiter.
func (m *Memory) Peek(_ context.Context, key string, limit int) (bool, time.Duration, error) {
	key = storedKey(key)
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	w := m.windows[key]
	if w == nil || !now.Before(w.ends) || w.count < limit {
		return true, 0, nil
	}
	return false, w.ends.Sub(now), nil
}

// Reset implements Limiter.
func (m *Memory) Reset(_ context.Context, key string) error {
	key = storedKey(key)
	m.mu.Lock()
	delete(m.windows, key)
	m.mu.Unlock()
	return nil
}

// sweep drops expired windows now and then so the map stays bounded by the
// number of keys active in one window.
func (m *Memory) sweep(now time.Time) {
	m.sweeps++
	if m.sweeps%1024 != 0 {
		return
	}
	for k, w := range m.windows {
		if !now.Before(w.ends) {
			delete(m.windows, k)
		}
	}
}

// evictOne makes room for a new key in O(1): map iteration starts at a
// random entry, so looking at a few is a random sample.
func (m *Memory) evictOne(now time.Time) {
	victim, seen := "", 0
	var soonest time.Time
	for k, w := range m.windows {
		if !now.Before(w.ends) {
			victim = k
			break
		}
		if victim == "" || w.ends.Before(soonest) {
			victim, soonest = k, w.ends
		}
		if seen++; seen == 16 {
			break
		}
	}
	delete(m.windows, victim)
}
