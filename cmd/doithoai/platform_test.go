package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/localserver"
)

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	c := newClient(t, n)
	if r := c.Do("GET", "/healthz", nil, nil); r.StatusCode != 200 {
		t.Fatalf("healthz %d", r.StatusCode)
	}
	var ready struct {
		Ready  bool
		Checks map[string]string
	}
	if r := c.Do("GET", "/readyz", nil, &ready); r.StatusCode != 200 || !ready.Ready || ready.Checks["postgres"] != "ok" {
		t.Fatalf("readyz %d %+v", r.StatusCode, ready)
	}
	if r := c.Do("GET", "/no/such/page", nil, nil); r.StatusCode != 404 {
		t.Fatalf("/no/such/page: %d, want 404", r.StatusCode)
	}
	r, err := http.Get(n.MetricsURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	for _, want := range []string{"doithoai_http_requests_total", "doithoai_http_request_duration_seconds", "doithoai_db_pool_total_conns", `route="/healthz"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestAPIErrorsAreJSON(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	c := newClient(t, n)
	wantError(t, c.Do("GET", "/api/v1/no-such-thing", nil, nil), 404, "not_found")
	wantError(t, c.Do("POST", "/api/v1/session", `{"login": "x",`, nil), 400, "bad_json")
	wantError(t, c.Do("POST", "/api/v1/session", []byte("{\"login\": \"\xff\xfe\", \"password\": \"x\"}"), nil), 400, "invalid_utf8")
	wantError(t, c.Do("POST", "/api/v1/session", `[1,2]`, nil), 400, "bad_json")
	wantError(t, c.Do("POST", "/api/v1/session", strings.Repeat(" ", 2<<20), nil), 400, "body_too_large")
	wantError(t, c.Do("PUT", "/api/v1/session", `{}`, nil), 405, "method_not_allowed")
	// A page path gets a readable page, not JSON.
	r := c.Do("GET", "/no-such-page", nil, nil)
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != 404 || !strings.Contains(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "<html") {
		t.Fatalf("page 404: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
}

func TestLoginOverAPI(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	MustCreateUser(t, n, "moderator", "mod1", "correct horse battery")

	t.Run("OK", func(t *testing.T) {
		c := newClient(t, n)
		token := c.MustLogin("mod1", "correct horse battery")
		var me struct{ Login, Role string }
		if r := c.Do("GET", "/api/v1/me", nil, &me); r.StatusCode != 200 || me.Role != "moderator" {
			t.Fatalf("me by cookie: %d %+v", r.StatusCode, me)
		}
		b := newClient(t, n)
		b.Bearer = token
		if r := b.Do("GET", "/api/v1/me", nil, &me); r.StatusCode != 200 || me.Login != "mod1" {
			t.Fatalf("me by bearer: %d %+v", r.StatusCode, me)
		}
		if r := c.Do("DELETE", "/api/v1/session", nil, nil); r.StatusCode != 204 {
			t.Fatalf("logout %d", r.StatusCode)
		}
		wantError(t, b.Do("GET", "/api/v1/me", nil, nil), 401, "login_required")
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		c := newClient(t, n)
		wantError(t, c.Do("POST", "/api/v1/session", map[string]string{"login": "mod1", "password": "nope nope"}, nil), 401, "bad_credentials")
		wantError(t, c.Do("POST", "/api/v1/session", map[string]string{"login": "ghost", "password": "nope nope"}, nil), 401, "bad_credentials")
	})
	t.Run("ErrTooMany", func(t *testing.T) {
		MustCreateUser(t, n, "citizen", "0987654321", "another good one")
		c := newClient(t, n)
		var last *http.Response
		for i := 0; i < 6; i++ {
			last = c.Do("POST", "/api/v1/session", map[string]string{"login": "0987654321", "password": "wrong"}, nil)
		}
		if last.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		wantError(t, last, 429, "too_many_attempts")
		// Even the right password is refused while limited.
		wantError(t, c.Do("POST", "/api/v1/session", map[string]string{"login": "0987654321", "password": "another good one"}, nil), 429, "too_many_attempts")
	})
}

func TestUserCreateCLI(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	out := MustRun(t, n.DBURL, "s3cret-pass\n", "user", "create", "--role", "moderator", "--login", "agent7", "--password-stdin", "--sip")
	if !strings.Contains(out, "SIP agent") {
		t.Fatalf("output %q", out)
	}
	if _, err := runCLI(n.DBURL, "s3cret-pass\n", "user", "create", "--role", "moderator", "--login", "AGENT7", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "taken") {
		t.Fatalf("duplicate login (case-insensitive): %v", err)
	}
	if _, err := runCLI(n.DBURL, "short\n", "user", "create", "--role", "leader", "--login", "ld", "--password-stdin"); err == nil {
		t.Fatal("a weak password and a 2-letter login were accepted")
	}
	if _, err := runCLI(n.DBURL, "long enough pass\n", "user", "create", "--role", "king", "--login", "kingx", "--password-stdin"); err == nil {
		t.Fatal("unknown role accepted")
	}
	c := newClient(t, n)
	c.MustLogin("agent7", "s3cret-pass")
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	out := MustRun(t, n.DBURL, "", "migrate")
	if !strings.Contains(out, "migrations applied: 0") {
		t.Fatalf("second migrate applied something: %q", out)
	}
}

func TestConfigErrorsAreClear(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	env := map[string]string{"HTTP_ADDR": "nonsense", "LOG_LEVEL": "loud"}
	err := run(context.Background(), []string{"doithoai", "serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{"DATABASE_URL is required", "HTTP_ADDR", "LOG_LEVEL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// TestReadyzFollowsPostgres stops the node's own PostgreSQL: /readyz fails
// while /healthz stays up, and /readyz recovers by itself when it returns.
func TestReadyzFollowsPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	pg, err := localserver.StartPostgres(ctx, localserver.PostgresOptions{Dir: dir, SharedBuffers: "16MB"})
	if err != nil {
		t.Fatal(err)
	}
	port := pg.Port
	n := MustStartNode(t, pg.URL("postgres"))
	MustRun(t, n.DBURL, "", "migrate")
	c := newClient(t, n)
	if r := c.Do("GET", "/readyz", nil, nil); r.StatusCode != 200 {
		t.Fatalf("readyz before: %d", r.StatusCode)
	}
	pg.Stop()
	r := c.Do("GET", "/readyz", nil, nil)
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != 503 {
		t.Fatalf("readyz with postgres down: %d", r.StatusCode)
	}
	// The body says what is down, never where it is or who connects: the
	// driver's error (host, port, user, database) stays in the log.
	if got, want := strings.TrimSpace(string(body)), `{"checks":{"postgres":"down"},"ready":false}`; got != want {
		t.Errorf("readyz body %s, want %s", got, want)
	}
	for _, secret := range []string{fmt.Sprintf("127.0.0.1:%d", port), strconv.Itoa(port), "user=", "postgres@", "dial", "connect"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("readyz body %s reveals %q", body, secret)
		}
	}
	if logs := n.Logs(); !strings.Contains(logs, "readyz") || !strings.Contains(logs, "postgres") {
		t.Errorf("the driver error was not logged: %s", logs)
	}
	if r := c.Do("GET", "/healthz", nil, nil); r.StatusCode != 200 {
		t.Fatalf("healthz with postgres down: %d", r.StatusCode)
	}
	pg2, err := localserver.StartPostgres(ctx, localserver.PostgresOptions{Dir: dir, Port: port, SharedBuffers: "16MB"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg2.Stop)
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := c.Do("GET", "/readyz", nil, nil)
		if r.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz did not recover: %d", r.StatusCode)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
