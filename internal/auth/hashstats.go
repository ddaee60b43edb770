package auth

import "sync/atomic"

// HashStats counts argon2id runs (hashes and checks) in this process.
type HashStats struct {
	Total int64 // runs started since the process began
	Peak  int64 // most runs ever in progress at once
}

var hashTotal, hashRunning, hashPeak atomic.Int64

// PasswordHashStats reports the argon2id work done so far, so tests (and an
// operator reading a dump) can see that hashing stays bounded.
func PasswordHashStats() HashStats {
	return HashStats{Total: hashTotal.Load(), Peak: hashPeak.Load()}
}

// hashStarted and hashDone bracket every argon2id run.
func hashStarted() {
	hashTotal.Add(1)
	n := hashRunning.Add(1)
	for {
		p := hashPeak.Load()
		if n <= p || hashPeak.CompareAndSwap(p, n) {
			return
		}
	}
}

func hashDone() { hashRunning.Add(-1) }
