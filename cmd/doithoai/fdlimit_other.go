//go:build !unix

package main

import "log/slog"

// raiseFDLimit: no RLIMIT_NOFILE here; the budgets fall back to defaults.
func raiseFDLimit(*slog.Logger) uint64 { return 0 }

// currentFDLimit: unknown here.
func currentFDLimit() uint64 { return 0 }
