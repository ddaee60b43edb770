package main

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/doithoai/doithoai/internal/config"
	"github.com/doithoai/doithoai/internal/testenv"
)

func loadConfig(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	env["DATABASE_URL"] = "postgres://u@localhost/db"
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The defaults the README documents live in internal/config; the hotline
// keeps its own for hand-built configurations. Both must say the same.
func TestConfigHotlineDefaultsMatchCallcenter(t *testing.T) {
	t.Parallel()
	got, err := hotlineConfig(loadConfig(t, map[string]string{}), nil, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want := callcenter.DefaultConfig()
	want.HoursSpec = callcenter.DefaultHours
	want.AgentLease = 30 * time.Second // README's HOTLINE_AGENT_LEASE; New fills it in hand-built ones
	if got.Hours.Loc.String() != want.Hours.Loc.String() {
		t.Errorf("time zone %s, want %s", got.Hours.Loc, want.Hours.Loc)
	}
	got.Hours.Loc, want.Hours.Loc = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("from the environment's defaults:\n%+v\nthe hotline's:\n%+v", got, want)
	}
}

func TestConfigHotlineMapping(t *testing.T) {
	t.Parallel()
	sla := map[string]bool{"2026-02-17": true}
	c, err := hotlineConfig(loadConfig(t, map[string]string{"HOTLINE_INVITE_RATE": "2.5", "HOTLINE_NONCE_SECRET": "shared",
		"SIP_ADDR": "127.0.0.1:5070", "HOTLINE_NUMBERS": "1022,1080"}), sla, 100)
	if err != nil {
		t.Fatal(err)
	}
	if c.InviteRate != 2.5 || c.InviteBurst != 10 || string(c.NonceSecret) != "shared" || c.SIPAddr != "127.0.0.1:5070" || len(c.HotlineNumbers) != 2 {
		t.Errorf("mapped: rate %v burst %d secret %q addr %s numbers %v", c.InviteRate, c.InviteBurst, c.NonceSecret, c.SIPAddr, c.HotlineNumbers)
	}
	// SIP_TCP_MAX_CONNS unset: a tenth of the descriptor limit, per IP within it.
	if c.SIPTCPMaxConns != 10 || c.SIPTCPMaxPerIP != 10 {
		t.Errorf("derived SIP TCP budget %d, per IP %d; want 10, 10", c.SIPTCPMaxConns, c.SIPTCPMaxPerIP)
	}
	// One calendar: the SLA's holidays close the hotline too…
	if !c.Hours.Holidays["2026-02-17"] || !c.Hours.Holidays["09-02"] {
		t.Errorf("holidays %v, want the SLA's and the fixed national ones", c.Hours.Holidays)
	}
	// …unless HOTLINE_HOLIDAYS says else.
	c, err = hotlineConfig(loadConfig(t, map[string]string{"HOTLINE_HOLIDAYS": "2026-03-08", "SIP_TCP_MAX_CONNS": "300"}), sla, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Hours.Holidays, map[string]bool{"2026-03-08": true}) || c.SIPTCPMaxConns != 300 || c.SIPTCPMaxPerIP != 16 {
		t.Errorf("HOTLINE_HOLIDAYS set: %v; SIP TCP %d per IP %d", c.Hours.Holidays, c.SIPTCPMaxConns, c.SIPTCPMaxPerIP)
	}
	if _, err := hotlineConfig(loadConfig(t, map[string]string{"HOTLINE_HOURS": "whenever"}), sla, 100); err == nil || !strings.Contains(err.Error(), "HOTLINE_HOURS") {
		t.Errorf("a bad HOTLINE_HOURS: %v", err)
	}
}

// A bad value in any section stops `serve` before it listens, with the
// variable named: the node's and the hotline's when the configuration is
// read, the feedback's and the hotline hours when the node is built.
func TestConfigSectionErrorsStopServe(t *testing.T) {
	t.Parallel()
	dbURL := testenv.NewDBURL(t)
	for key, val := range map[string]string{"HTTP_MAX_CONNS": "0", "HOTLINE_MAX_CALLS_PER_IP": "0", "SIP_TCP_MAX_CONNS": "lots",
		"SLA_RULES": "report=soon", "HOTLINE_HOURS": "whenever"} {
		env := map[string]string{"DATABASE_URL": dbURL, "HTTP_ADDR": "127.0.0.1:0", "METRICS_ADDR": "off", "DISABLE_SIP": "true",
			"DATA_DIR": t.TempDir(), key: val}
		// A node that does start is stopped by the timeout and fails the test.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var stdout, stderr strings.Builder
		err := run(ctx, []string{"doithoai", "serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
		cancel()
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%s: serve returned %v, want an error naming %s", key, val, err, key)
		}
	}
}
