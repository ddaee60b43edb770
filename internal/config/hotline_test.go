package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHotlineDefaults(t *testing.T) {
	t.Parallel()
	c, err := load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	h := c.Hotline
	if !slices.Equal(h.StaffNumbers, []string{"1023"}) || h.StaffPIN != "" || h.MaxCallsPerIP != 4 || h.RTPStartTimeout != 5*time.Second ||
		len(h.TrustedSources) != 0 || h.AgentLease != 30*time.Second || h.Timezone.String() != "Asia/Ho_Chi_Minh" || h.Holidays != "" {
		t.Errorf("defaults: %+v", h)
	}
	// SIP_TCP_MAX_CONNS unset is derived at start; the rest of SIP TCP has defaults.
	if h.SIPTCPMaxConns != 0 || h.SIPTCPMaxPerIP != 16 || h.SIPTCPMessageTimeout != 10*time.Second || h.SIPTCPIdleTimeout != 2*time.Minute {
		t.Errorf("SIP TCP defaults %d %d %v %v", h.SIPTCPMaxConns, h.SIPTCPMaxPerIP, h.SIPTCPMessageTimeout, h.SIPTCPIdleTimeout)
	}
}

func TestHotlineSettings(t *testing.T) {
	t.Parallel()
	c, err := load(map[string]string{
		"HOTLINE_MAX_CALLS_PER_IP":  "10",
		"HOTLINE_TRUSTED_SOURCES":   " 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32, ::ffff:10.9.0.0/112",
		"HOTLINE_RTP_START_TIMEOUT": "3s",
		"HOTLINE_STAFF_NUMBERS":     "1023, 1099",
		"HOTLINE_STAFF_PIN":         "246810",
		"HOTLINE_INVITE_RATE":       "2.5",
		"HOTLINE_TIMEZONE":          "Asia/Bangkok",
		"HOTLINE_HOLIDAYS":          "01-01",
		"SIP_PUBLIC_IP":             "203.0.113.9",
		"RTP_PORT_MIN":              "0",
		"RTP_PORT_MAX":              "0",
		"SIP_TCP_MAX_CONNS":         "300",
		"SIP_TCP_MAX_PER_IP":        "40",
		"SIP_TCP_MESSAGE_TIMEOUT":   "20s",
		"SIP_TCP_IDLE_TIMEOUT":      "5m",
	})
	if err != nil {
		t.Fatal(err)
	}
	h := c.Hotline
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("10.9.0.0/16")}
	if h.MaxCallsPerIP != 10 || h.RTPStartTimeout != 3*time.Second || !slices.Equal(h.TrustedSources, want) {
		t.Errorf("admission: per IP %d, start timeout %v, trusted %v", h.MaxCallsPerIP, h.RTPStartTimeout, h.TrustedSources)
	}
	if !slices.Equal(h.StaffNumbers, []string{"1023", "1099"}) || h.StaffPIN != "246810" || h.InviteRate != 2.5 ||
		h.Timezone.String() != "Asia/Bangkok" || h.Holidays != "01-01" || h.PublicIP != netip.MustParseAddr("203.0.113.9") ||
		h.RTPPortMin != 0 || h.RTPPortMax != 0 {
		t.Errorf("parsed: %+v", h)
	}
	if h.SIPTCPMaxConns != 300 || h.SIPTCPMaxPerIP != 40 || h.SIPTCPMessageTimeout != 20*time.Second || h.SIPTCPIdleTimeout != 5*time.Minute {
		t.Errorf("SIP TCP %d %d %v %v", h.SIPTCPMaxConns, h.SIPTCPMaxPerIP, h.SIPTCPMessageTimeout, h.SIPTCPIdleTimeout)
	}
	if c, err := load(map[string]string{"HOTLINE_STAFF_NUMBERS": "none"}); err != nil || len(c.Hotline.StaffNumbers) != 0 {
		t.Errorf("none: %v %v", c.Hotline.StaffNumbers, err)
	}
}

// Every bad hotline value stops the node with the variable named, and the
// others are reported with it.
func TestHotlineBadValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ key, val, named string }{
		{"HOTLINE_MAX_CALLS_PER_IP", "0", ""},
		{"HOTLINE_MAX_CALLS", "-1", ""},
		{"HOTLINE_TRUSTED_SOURCES", "10.0.0.0/33", ""},
		{"HOTLINE_TRUSTED_SOURCES", "edge.example", ""},
		{"HOTLINE_RTP_START_TIMEOUT", "-1s", ""},
		{"HOTLINE_AGENT_WAIT", "60", ""},
		{"HOTLINE_INVITE_RATE", "0", ""},
		{"HOTLINE_CONSENT_ON_SILENCE", "maybe", ""},
		{"HOTLINE_TIMEZONE", "Mars/Olympus", ""},
		{"HOTLINE_CALLBACK_ATTEMPTS", "three", ""},
		{"SIP_PUBLIC_IP", "sip.example.vn", ""},
		{"HOTLINE_STAFF_PIN", "12", ""},
		{"HOTLINE_STAFF_PIN", "12ab", ""},
		{"HOTLINE_STAFF_NUMBERS", "1022", "HOTLINE_NUMBERS"},
		{"RTP_PORT_MIN", "80", ""},
		{"RTP_PORT_MAX", "many", ""},
		{"SIP_TCP_MAX_CONNS", "0", ""},
		{"SIP_TCP_MAX_CONNS", "many", ""},
		{"SIP_TCP_MAX_PER_IP", "2000", "SIP_TCP_MAX_CONNS"}, // above the derived budget's cap
		{"SIP_TCP_MESSAGE_TIMEOUT", "10", ""},
		{"SIP_TCP_IDLE_TIMEOUT", "-1m", ""},
	} {
		names := []string{tc.key, "LOG_LEVEL"}
		if tc.named != "" {
			names = append(names, tc.named)
		}
		_, err := load(map[string]string{tc.key: tc.val, "LOG_LEVEL": "loud"})
		for _, name := range names {
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%s: err %v, want one naming %s", tc.key, tc.val, err, name)
			}
		}
	}
	if _, err := load(map[string]string{"SIP_TCP_MAX_CONNS": "100", "SIP_TCP_MAX_PER_IP": "101"}); err == nil || !strings.Contains(err.Error(), "SIP_TCP_MAX_PER_IP") {
		t.Errorf("per IP above the set total accepted: %v", err)
	}
}

func TestFeedbackSettings(t *testing.T) {
	t.Parallel()
	c, err := load(map[string]string{"SLA_RULES": "report=2d", "SLA_HOLIDAYS": "2026-09-02", "SLA_WORKDAYS": "2026-02-07",
		"SLA_OFFICE_HOURS": "08:00-12:00", "ESCALATE_EVERY": "30s"})
	if err != nil || c.Feedback != (Feedback{SLARules: "report=2d", Holidays: "2026-09-02", Workdays: "2026-02-07", OfficeHours: "08:00-12:00", EscalateEvery: 30 * time.Second}) {
		t.Errorf("set: %+v %v", c.Feedback, err)
	}
	if c, err := load(map[string]string{}); err != nil || c.Feedback != (Feedback{EscalateEvery: time.Minute}) {
		t.Errorf("default: %+v %v, want feedback's defaults (empty) and 1m", c.Feedback, err)
	}
	if _, err := load(map[string]string{"ESCALATE_EVERY": "0s"}); err == nil || !strings.Contains(err.Error(), "ESCALATE_EVERY") {
		t.Errorf("ESCALATE_EVERY=0s accepted: %v", err)
	}
}
