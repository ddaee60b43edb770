//go:build unix

package main

import (
	"log/slog"
	"syscall"
)

// raiseFDLimit raises the soft RLIMIT_NOFILE to the hard limit (the most
// an unprivileged process may) and returns the limit now in force, 0 if
// unknown. Go's runtime does the same once at process start; doing it here
// too makes it visible in the log and holds when a test or a wrapper has
// lowered it since.
func raiseFDLimit(log *slog.Logger) uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("cannot read the descriptor limit", "err", err)
		return 0
	}
	before := lim.Cur
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			log.Warn("cannot raise the descriptor limit", "soft", before, "hard", lim.Max, "err", err)
			return before
		}
	}
	log.Info("descriptor limit", "soft", lim.Cur, "hard", lim.Max, "soft_at_start", before)
	return lim.Cur
}

// currentFDLimit is the soft RLIMIT_NOFILE in force, 0 if unknown.
func currentFDLimit() uint64 {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return 0
	}
	return lim.Cur
}
