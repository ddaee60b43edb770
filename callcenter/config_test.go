package callcenter

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigCallAdmissionSettings(t *testing.T) {
	t.Parallel()
	c, err := ConfigFromEnv(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxCallsPerIP != 4 || c.RTPStartTimeout != 5*time.Second || len(c.TrustedSources) != 0 {
		t.Errorf("defaults: per IP %d, start timeout %v, trusted %v", c.MaxCallsPerIP, c.RTPStartTimeout, c.TrustedSources)
	}

	c, err = ConfigFromEnv(envOf(map[string]string{
		"HOTLINE_MAX_CALLS_PER_IP":  "10",
		"HOTLINE_TRUSTED_SOURCES":   " 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32",
		"HOTLINE_RTP_START_TIMEOUT": "3s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxCallsPerIP != 10 || c.RTPStartTimeout != 3*time.Second || len(c.TrustedSources) != 3 {
		t.Errorf("parsed: per IP %d, start timeout %v, trusted %v", c.MaxCallsPerIP, c.RTPStartTimeout, c.TrustedSources)
	}
	for ip, want := range map[string]bool{"10.1.2.3": true, "::ffff:10.1.2.3": true, "192.0.2.7": true, "192.0.2.8": false, "2001:db8::5": true, "11.0.0.1": false} {
		if got := c.trustedSource(netip.MustParseAddr(ip)); got != want {
			t.Errorf("trustedSource(%s) = %v, want %v", ip, got, want)
		}
	}

	for key, bad := range map[string]string{
		"HOTLINE_MAX_CALLS_PER_IP":  "0",
		"HOTLINE_TRUSTED_SOURCES":   "10.0.0.0/33",
		"HOTLINE_RTP_START_TIMEOUT": "-1s",
	} {
		_, err := ConfigFromEnv(envOf(map[string]string{key: bad}))
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%s: err %v, want one naming the setting", key, bad, err)
		}
	}
	if _, err := ConfigFromEnv(envOf(map[string]string{"HOTLINE_TRUSTED_SOURCES": "edge.example"})); err == nil {
		t.Error("a host name in HOTLINE_TRUSTED_SOURCES was accepted")
	}
}

func TestConfigFromEnvSIPTCP(t *testing.T) {
	t.Parallel()
	env := func(kv map[string]string) func(string) string {
		return func(k string) string { return kv[k] }
	}
	t.Run("Defaults", func(t *testing.T) {
		c, err := ConfigFromEnv(env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if c.SIPTCPMaxConns != 1024 || c.SIPTCPMaxPerIP != 16 || c.SIPTCPMessageTimeout != 10*time.Second || c.SIPTCPIdleTimeout != 2*time.Minute {
			t.Errorf("defaults %d %d %v %v", c.SIPTCPMaxConns, c.SIPTCPMaxPerIP, c.SIPTCPMessageTimeout, c.SIPTCPIdleTimeout)
		}
	})
	t.Run("OK", func(t *testing.T) {
		c, err := ConfigFromEnv(env(map[string]string{"SIP_TCP_MAX_CONNS": "300", "SIP_TCP_MAX_PER_IP": "40",
			"SIP_TCP_MESSAGE_TIMEOUT": "20s", "SIP_TCP_IDLE_TIMEOUT": "5m"}))
		if err != nil {
			t.Fatal(err)
		}
		if c.SIPTCPMaxConns != 300 || c.SIPTCPMaxPerIP != 40 || c.SIPTCPMessageTimeout != 20*time.Second || c.SIPTCPIdleTimeout != 5*time.Minute {
			t.Errorf("got %d %d %v %v", c.SIPTCPMaxConns, c.SIPTCPMaxPerIP, c.SIPTCPMessageTimeout, c.SIPTCPIdleTimeout)
		}
	})
	for _, tc := range []struct{ name, key, val string }{
		{"ErrMaxConnsZero", "SIP_TCP_MAX_CONNS", "0"},
		{"ErrMaxConnsText", "SIP_TCP_MAX_CONNS", "many"},
		{"ErrPerIPAboveTotal", "SIP_TCP_MAX_PER_IP", "2000"},
		{"ErrMessageTimeout", "SIP_TCP_MESSAGE_TIMEOUT", "10"},
		{"ErrIdleTimeoutNegative", "SIP_TCP_IDLE_TIMEOUT", "-1m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ConfigFromEnv(env(map[string]string{tc.key: tc.val}))
			if err == nil || !strings.Contains(err.Error(), "SIP_TCP_") {
				t.Errorf("%s=%s: error %v, want one naming the setting", tc.key, tc.val, err)
			}
		})
	}
}
