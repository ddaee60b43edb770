package main

import (
	"log/slog"

	"github.com/doithoai/doithoai/internal/config"
)

// httpConnBudget is how many connections the HTTP listener may hold:
// HTTP_MAX_CONNS, or else what the descriptor limit leaves for it. Of the
// limit, 80% goes to the two listeners (HTTP gets it less the SIP TCP
// budget) and 20% stays for the rest of the node: PostgreSQL and Redis
// pools, RTP sockets (two per bridged call), recordings and prompts being
// written, the listeners themselves and the log.
func httpConnBudget(cfg config.Config, fdLimit uint64, log *slog.Logger) int {
	if fdLimit == 0 {
		fdLimit = 4096 // unknown: a conservative guess
	}
	listeners := int(fdLimit * 8 / 10)
	if cfg.HTTPMaxConns > 0 {
		if cfg.HTTPMaxConns > listeners {
			log.Warn("HTTP_MAX_CONNS leaves too few descriptors for the rest of the node", "http_max_conns", cfg.HTTPMaxConns, "fd_limit", fdLimit)
		}
		return cfg.HTTPMaxConns
	}
	return max(64, listeners-sipTCPBudget(cfg, fdLimit))
}

// sipTCPBudget is the share the hotline's SIP TCP listener keeps for
// itself (SIP_TCP_MAX_CONNS, in the Hotline section): none without SIP, and
// when unset a tenth of the descriptor limit, at most 1,024 connections
// (wireCallcenter gives the hotline the same number).
func sipTCPBudget(cfg config.Config, fdLimit uint64) int {
	if cfg.DisableSIP {
		return 0
	}
	if n := cfg.Hotline.SIPTCPMaxConns; n > 0 {
		return n
	}
	if fdLimit == 0 {
		fdLimit = 4096 // unknown: the same guess as httpConnBudget's
	}
	return int(min(config.SIPTCPMaxConnsCap, fdLimit/10))
}
