// Package percentile is the one percentile definition of the benchmark and
// load tools (cmd/benchforum, cmd/benchfeedback, cmd/loadws, cmd/sipload),
// so that a p99 means the same thing in every row of BENCHMARKS.md.
package percentile

import (
	"math"
	"slices"
	"time"
)

// Sorted returns the p-th percentile (0 < p ≤ 100) of ascending samples by
// the nearest-rank method: the smallest sample with at least p% of the
// samples at or below it. p ≥ 100 is the maximum; no samples give 0.
func Sorted(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	k := int(math.Ceil(p/100*float64(n))) - 1
	return sorted[min(max(k, 0), n-1)]
}

// Of is Sorted on a sorted copy of samples (samples is left as it is).
func Of(samples []time.Duration, p float64) time.Duration {
	s := slices.Clone(samples)
	slices.Sort(s)
	return Sorted(s, p)
}
