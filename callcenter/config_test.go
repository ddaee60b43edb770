package callcenter

import (
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnvSIPTCP(t *testing.T) {
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
