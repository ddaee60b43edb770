package callcenter

import (
	"testing"
	"time"
)

func TestRateLimiter(t *testing.T) {
	t.Parallel()
	l := newRateLimiter(2, 3)
	now := time.Unix(1000, 0)
	for i := range 3 {
		if !l.allow("a", now) {
			t.Fatalf("request %d within burst refused", i)
		}
	}
	if l.allow("a", now) {
		t.Fatal("4th request in the same instant allowed")
	}
	if !l.allow("b", now) {
		t.Fatal("another source was limited")
	}
	if !l.allow("a", now.Add(500*time.Millisecond)) {
		t.Fatal("token not refilled after 0.5 s at 2/s")
	}
	if l.allow("a", now.Add(500*time.Millisecond)) {
		t.Fatal("refill gave more than one token")
	}
}
