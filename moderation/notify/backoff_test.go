package notify

import (
	"testing"
	"time"
)

// TestBackoff: 30 s·2^(attempts−1) with ±20 % jitter, never above an hour.
func TestBackoff(t *testing.T) {
	t.Parallel()
	w := NewWorker(nil, nil, nil)
	for attempts, base := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 5: 8 * time.Minute} {
		for i := 0; i < 50; i++ {
			if d := w.backoff(attempts); d < base*8/10 || d > base*12/10 {
				t.Fatalf("backoff(%d) = %v, want %v ± 20 %%", attempts, d, base)
			}
		}
	}
	for _, attempts := range []int{8, 12, 60} {
		if d := w.backoff(attempts); d > time.Hour || d < 48*time.Minute {
			t.Errorf("backoff(%d) = %v, want at most (and near) 1h", attempts, d)
		}
	}
}
