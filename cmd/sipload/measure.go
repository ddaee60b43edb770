package main

import (
	"sync/atomic"
	"time"
)

// histogram of absolute deviations in 50 µs buckets up to 200 ms.
type histogram struct {
	buckets [4001]atomic.Uint64
	max     atomic.Int64
}

func (h *histogram) add(d time.Duration) {
	if d < 0 {
		d = -d
	}
	i := min(int(d/(50*time.Microsecond)), len(h.buckets)-1)
	h.buckets[i].Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

func (h *histogram) percentiles() (p50, p99, maxMS float64) {
	var total uint64
	for i := range h.buckets {
		total += h.buckets[i].Load()
	}
	if total == 0 {
		return 0, 0, 0
	}
	var cum uint64
	p50, p99 = -1, -1
	for i := range h.buckets {
		cum += h.buckets[i].Load()
		ms := float64(i+1) * 0.05
		if p50 < 0 && float64(cum) >= 0.5*float64(total) {
			p50 = ms
		}
		if p99 < 0 && float64(cum) >= 0.99*float64(total) {
			p99 = ms
			break
		}
	}
	return p50, p99, float64(h.max.Load()) / 1e6
}
