package config

import (
	"strings"
	"testing"
)

func load(env map[string]string) (Config, error) {
	if _, ok := env["DATABASE_URL"]; !ok {
		env["DATABASE_URL"] = "postgres://u@localhost/db"
	}
	return Load(func(k string) string { return env[k] })
}

func TestMetricsAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ set, want string }{
		{"", "127.0.0.1:9090"}, // loopback unless the operator says otherwise
		{"off", ""},
		{"OFF", ""},
		{"10.0.0.5:9100", "10.0.0.5:9100"},
	} {
		c, err := load(map[string]string{"METRICS_ADDR": tc.set})
		if err != nil || c.MetricsAddr != tc.want {
			t.Errorf("METRICS_ADDR=%q: %q %v, want %q", tc.set, c.MetricsAddr, err, tc.want)
		}
	}
	if _, err := load(map[string]string{"METRICS_ADDR": "9090"}); err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
		t.Errorf("METRICS_ADDR=9090 accepted: %v", err)
	}
}

func TestHTTPMaxConns(t *testing.T) {
	t.Parallel()
	if c, err := load(map[string]string{}); err != nil || c.HTTPMaxConns != 0 {
		t.Errorf("default: %d %v, want 0 (derived at start)", c.HTTPMaxConns, err)
	}
	if c, err := load(map[string]string{"HTTP_MAX_CONNS": "5000"}); err != nil || c.HTTPMaxConns != 5000 {
		t.Errorf("5000: %d %v", c.HTTPMaxConns, err)
	}
	for _, bad := range []string{"0", "-3", "lots"} {
		if _, err := load(map[string]string{"HTTP_MAX_CONNS": bad}); err == nil || !strings.Contains(err.Error(), "HTTP_MAX_CONNS") {
			t.Errorf("HTTP_MAX_CONNS=%q accepted: %v", bad, err)
		}
	}
}
