package percentile

import (
	"testing"
	"time"
)

func TestSorted(t *testing.T) {
	hundred := make([]time.Duration, 100) // 1..100 ms
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, c := range []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"Empty", nil, 50, 0},
		{"One", []time.Duration{7}, 99, 7},
		{"Median", hundred, 50, 50 * time.Millisecond},
		{"P95", hundred, 95, 95 * time.Millisecond},
		{"P99", hundred, 99, 99 * time.Millisecond},
		{"Max", hundred, 100, 100 * time.Millisecond},
		{"MedianOfFour", []time.Duration{1, 2, 3, 4}, 50, 2},
		{"P99OfTen", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10},
		{"Tiny", hundred, 0.1, time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Sorted(c.samples, c.p); got != c.want {
				t.Fatalf("p%v of %d samples = %v, want %v", c.p, len(c.samples), got, c.want)
			}
		})
	}
}

func TestOfLeavesSamplesAlone(t *testing.T) {
	s := []time.Duration{3, 1, 2}
	if got := Of(s, 50); got != 2 {
		t.Fatalf("median %v, want 2", got)
	}
	if s[0] != 3 || s[1] != 1 || s[2] != 2 {
		t.Fatalf("samples reordered: %v", s)
	}
}
