package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory is the single-node limiter.
type Memory struct {
	mu      sync.Mutex
	windows map[string]*window // key → current window; guarded by mu
	now     func() time.Time
	sweeps  int
}

type window struct {
	count int
	ends  time.Time
}

// NewMemory returns an in-process limiter.
func NewMemory() *Memory { return &Memory{windows: map[string]*window{}, now: time.Now} }

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string, limit int, per time.Duration) (bool, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweep(now)
	w := m.windows[key]
	if w == nil || !now.Before(w.ends) {
		w = &window{ends: now.Add(per)}
		m.windows[key] = w
	}
	w.count++
	if w.count > limit {
		return false, w.ends.Sub(now), nil
	}
	return true, 0, nil
}

// Peek implements Limiter.
func (m *Memory) Peek(_ context.Context, key string, limit int) (bool, time.Duration, error) {
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
