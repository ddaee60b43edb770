package main

import (
	"context"
	"fmt"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/go-chi/chi/v5"
)

// wireCallcenter builds the SIP hotline on top of moderation (tickets go
// to the queue; answers come back as callback tasks). The core settings
// come from the node's configuration, the HOTLINE_* and RTP_* ones from
// callcenter.ConfigFromEnv.
func (a *app) wireCallcenter(ctx context.Context) error {
	getenv := a.cfg.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	hcfg, err := callcenter.ConfigFromEnv(getenv)
	if err != nil {
		return fmt.Errorf("hotline configuration: %w", err)
	}
	hcfg.SIPAddr, hcfg.HotlineNumbers, hcfg.DataDir = a.cfg.SIPAddr, a.cfg.HotlineNumbers, a.cfg.DataDir
	// The SIP TCP budget and the HTTP one are cut from the same descriptor
	// limit (httpConnBudget): unless set, SIP takes the share HTTP leaves it.
	if getenv("SIP_TCP_MAX_CONNS") == "" {
		hcfg.SIPTCPMaxConns = sipTCPBudget(a.cfg, currentFDLimit())
		hcfg.SIPTCPMaxPerIP = min(hcfg.SIPTCPMaxPerIP, hcfg.SIPTCPMaxConns)
	}
	// One calendar: the public holidays of the SLA (SLA_HOLIDAYS, Tết
	// included) also close the hotline, unless HOTLINE_HOLIDAYS says else.
	if getenv("HOTLINE_HOLIDAYS") == "" && hcfg.Hours.Holidays != nil {
		for day := range a.moderation.SLA.Holidays {
			hcfg.Hours.Holidays[day] = true
		}
	}
	if a.blobs, err = a.openBlobs(ctx); err != nil {
		return err
	}
	if a.hotline, err = callcenter.New(callcenter.Deps{Config: hcfg, Pool: a.pool, Moderation: a.moderation, Log: a.log, Metrics: a.metrics.Registry, Blobs: a.blobs}); err != nil {
		return err
	}
	return a.catalog.Add(callcenter.Messages)
}

// mountCallcenter mounts the hotline's API (recordings, tickets, callbacks,
// call records, agents, menu and prompts).
func (a *app) mountCallcenter(r chi.Router) { r.Group(a.hotline.Routes) }
