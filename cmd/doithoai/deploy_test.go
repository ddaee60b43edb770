package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/config"
)

// TestShippedSystemdUnitsVerify keeps deploy/README.md true: every unit in
// deploy/systemd passes `systemd-analyze verify` with no complaint (unknown
// keys and bad values are only warnings there, so any output fails), with
// the doithoai binary path pointed at this build. A unit with a bad key is
// caught the same way, so the check can fail.
func TestShippedSystemdUnitsVerify(t *testing.T) {
	t.Parallel()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze not found: install it with `apt-get install -y systemd` (scripts/install-deps.sh test does)")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	units, _ := filepath.Glob("../../deploy/systemd/*.service")
	timers, _ := filepath.Glob("../../deploy/systemd/*.timer")
	if len(units) < 3 || len(timers) < 2 {
		t.Fatalf("deploy/systemd has %d services and %d timers, want the node, backup and files units", len(units), len(timers))
	}
	dir := t.TempDir()
	var names []string
	for _, src := range append(units, timers...) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(src)
		name = strings.Replace(name, "@.", "@full.", 1) // a template verifies as an instance
		text := strings.ReplaceAll(string(b), "/usr/local/bin/doithoai", self)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	verify := func(files ...string) string {
		cmd := exec.Command(analyze, append([]string{"verify"}, files...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SYSTEMD_LOG_COLOR=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return string(out) + err.Error()
		}
		return strings.TrimSpace(string(out))
	}
	for _, name := range names {
		if out := verify(filepath.Join(dir, name)); out != "" {
			t.Errorf("systemd-analyze verify %s:\n%s", name, out)
		}
	}
	bad := filepath.Join(dir, "bad.service")
	_ = os.WriteFile(bad, []byte("[Service]\nExecStart=/bin/true\nLimitNOFLE=65536\n"), 0o644)
	if out := verify(bad); !strings.Contains(out, "LimitNOFLE") {
		t.Errorf("a misspelt key went unnoticed: %q", out)
	}

	// What the guide promises of the node's unit.
	unit, _ := os.ReadFile("../../deploy/systemd/doithoai.service")
	keys := unitKeys(string(unit))
	for key, want := range map[string]string{"LimitNOFILE": "65536", "KillSignal": "SIGTERM",
		"ExecStart": "/usr/local/bin/doithoai serve", "ExecStartPre": "/usr/local/bin/doithoai migrate", "User": "doithoai"} {
		if keys[key] != want {
			t.Errorf("doithoai.service %s=%q, want %q", key, keys[key], want)
		}
	}
	// systemd must wait longer than the node's own drain.
	defaults, err := config.Load(func(k string) string {
		if k == "DATABASE_URL" {
			return "postgres://localhost/doithoai"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	stop, err := time.ParseDuration(keys["TimeoutStopSec"])
	if err != nil || stop <= defaults.ShutdownGrace {
		t.Errorf("TimeoutStopSec=%q must be longer than SHUTDOWN_GRACE (%s)", keys["TimeoutStopSec"], defaults.ShutdownGrace)
	}
}

// TestShippedEnvExampleLoads: deploy/systemd/doithoai.env.example is a
// configuration the node accepts (every name known, every value valid).
func TestShippedEnvExampleLoads(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../../deploy/systemd/doithoai.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("not KEY=VALUE: %q", line)
		}
		env[k] = v
	}
	if len(env) < 8 {
		t.Fatalf("the example sets %d variables", len(env))
	}
	if _, err := config.Load(func(k string) string { return env[k] }); err != nil {
		t.Errorf("the shipped example does not load: %v", err)
	}
}

func unitKeys(text string) map[string]string {
	keys := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(k, "#") {
			keys[k] = v
		}
	}
	return keys
}
