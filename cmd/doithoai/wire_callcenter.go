package main

import (
	"context"
	"fmt"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/doithoai/doithoai/internal/config"
	"github.com/go-chi/chi/v5"
)

// wireCallcenter builds the SIP hotline on top of moderation (tickets go
// to the queue; answers come back as callback tasks).
func (a *app) wireCallcenter(ctx context.Context) error {
	hcfg, err := hotlineConfig(a.cfg, a.moderation.SLA.Holidays, currentFDLimit())
	if err != nil {
		return err
	}
	if a.blobs, err = a.openBlobs(ctx); err != nil {
		return err
	}
	if a.hotline, err = callcenter.New(callcenter.Deps{Config: hcfg, Pool: a.pool, Moderation: a.moderation, Log: a.log, Metrics: a.metrics.Registry, Blobs: a.blobs}); err != nil {
		return err
	}
	return a.catalog.Add(callcenter.Messages)
}

// hotlineConfig maps the node's configuration (SIP_ADDR, HOTLINE_NUMBERS,
// DATA_DIR and the Hotline section) onto the hotline's, over the settings
// no variable sets. slaHolidays are the SLA's public holidays and fdLimit
// the descriptor limit, for what is derived from them.
func hotlineConfig(cfg config.Config, slaHolidays map[string]bool, fdLimit uint64) (callcenter.Config, error) {
	h := cfg.Hotline
	c := callcenter.DefaultConfig()
	c.SIPAddr, c.HotlineNumbers, c.DataDir = cfg.SIPAddr, cfg.HotlineNumbers, cfg.DataDir
	c.StaffNumbers, c.StaffPIN, c.PublicIP, c.PromptsDir = h.StaffNumbers, h.StaffPIN, h.PublicIP, h.PromptsDir
	c.RTPPortMin, c.RTPPortMax = h.RTPPortMin, h.RTPPortMax
	c.MaxCalls, c.MaxCallsPerIP, c.TrustedSources = h.MaxCalls, h.MaxCallsPerIP, h.TrustedSources
	c.InviteRate, c.InviteBurst = h.InviteRate, max(1, int(4*h.InviteRate))
	c.RTPTimeout, c.RTPStartTimeout, c.DigitTimeout = h.RTPTimeout, h.RTPStartTimeout, h.DigitTimeout
	c.AgentWait, c.AgentRingTimeout, c.AgentLease = h.AgentWait, h.AgentRing, h.AgentLease
	c.VoicemailMax, c.CallRecordingMax, c.AnswerAudioMax = h.VoicemailMax, h.CallRecordingMax, h.AnswerAudioMax
	c.CallbackAttempts, c.CallbackGrace = h.CallbackAttempts, h.CallbackGrace
	c.ConsentOnSilence, c.DefaultLanguage = h.ConsentOnSilence, h.DefaultLanguage
	if h.NonceSecret != "" {
		c.NonceSecret = []byte(h.NonceSecret)
	}
	c.SIPTCPMaxConns, c.SIPTCPMaxPerIP = h.SIPTCPMaxConns, h.SIPTCPMaxPerIP
	c.SIPTCPMessageTimeout, c.SIPTCPIdleTimeout = h.SIPTCPMessageTimeout, h.SIPTCPIdleTimeout
	// The SIP TCP budget and the HTTP one are cut from the same descriptor
	// limit (httpConnBudget): unless set, SIP takes the share HTTP leaves it.
	if h.SIPTCPMaxConns == 0 {
		c.SIPTCPMaxConns = sipTCPBudget(cfg, fdLimit)
		c.SIPTCPMaxPerIP = min(c.SIPTCPMaxPerIP, c.SIPTCPMaxConns)
	}
	holidays := h.Holidays
	if holidays == "" {
		holidays = callcenter.DefaultHolidays
	}
	hours, err := callcenter.ParseHours(h.Hours, holidays, h.Timezone)
	if err != nil {
		return c, fmt.Errorf("hotline configuration: HOTLINE_HOURS/HOTLINE_HOLIDAYS: %w", err)
	}
	// One calendar: the public holidays of the SLA (SLA_HOLIDAYS, Tết
	// included) also close the hotline, unless HOTLINE_HOLIDAYS says else.
	if h.Holidays == "" {
		for day := range slaHolidays {
			hours.Holidays[day] = true
		}
	}
	c.Hours, c.HoursSpec = hours, h.Hours
	return c, nil
}

// mountCallcenter mounts the hotline's API (recordings, tickets, callbacks,
// call records, agents, menu and prompts).
func (a *app) mountCallcenter(r chi.Router) { r.Group(a.hotline.Routes) }
