package broker

import (
	"context"
	"sync"
)

// Memory is the single-node broker.
type Memory struct {
	mu     sync.RWMutex
	nextID uint64
	subs   map[string]map[uint64]Handler // channel → subscription id → handler; guarded by mu
}

// NewMemory returns an in-process broker.
func NewMemory() *Memory { return &Memory{subs: map[string]map[uint64]Handler{}} }

// Publish calls every handler of channel in the caller's goroutine; handlers
// do not block by contract.
func (m *Memory) Publish(_ context.Context, channel string, data []byte) error {
	m.mu.RLock()
	hs := make([]Handler, 0, len(m.subs[channel]))
	for _, h := range m.subs[channel] {
		hs = append(hs, h)
	}
	m.mu.RUnlock()
	for _, h := range hs {
		h(data)
	}
	return nil
}

// Subscribe implements Broker.
func (m *Memory) Subscribe(_ context.Context, channel string, h Handler) (func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	id := m.nextID
	if m.subs[channel] == nil {
		m.subs[channel] = map[uint64]Handler{}
	}
	m.subs[channel][id] = h
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			delete(m.subs[channel], id)
			if len(m.subs[channel]) == 0 {
				delete(m.subs, channel)
			}
		})
	}, nil
}

// Close implements Broker.
func (m *Memory) Close() error { return nil }
