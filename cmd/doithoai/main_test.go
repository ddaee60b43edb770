package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/config"
	"github.com/doithoai/doithoai/internal/testenv"
)

func TestMain(m *testing.M) {
	if os.Getenv(childNodeEnv) != "" {
		os.Exit(childNode()) // this binary started as a node by a test (lb_test.go)
	}
	testenv.Main(m)
}

// node is a running doithoai serve for one test.
type node struct {
	URL        string // http://127.0.0.1:port
	MetricsURL string // http://127.0.0.1:port of METRICS_ADDR
	DBURL      string
	Cfg        config.Config
	logs       *testLog
}

// Logs is what the node has logged so far (warnings and errors).
func (n *node) Logs() string { return n.logs.String() }

// nodeSetup is what options may change before a test node starts.
type nodeSetup struct {
	env      map[string]string
	logTo    io.Writer  // besides the node's own Logs
	logLevel slog.Level // warnings by default
}

type nodeOption func(*nodeSetup)

// withEnv sets one environment variable of the node.
func withEnv(key, value string) nodeOption {
	return func(s *nodeSetup) { s.env[key] = value }
}

// withEnvFunc lets f change the node's environment as a whole.
func withEnvFunc(f func(env map[string]string)) nodeOption {
	return func(s *nodeSetup) { f(s.env) }
}

// withLog sends the node's log from level up to w as well.
func withLog(w io.Writer, level slog.Level) nodeOption {
	return func(s *nodeSetup) { s.logTo, s.logLevel = w, level }
}

// MustStartNode migrates a fresh database (or dbURL when given) and serves a
// node on a free port until t ends, exactly as `doithoai serve` would.
func MustStartNode(t *testing.T, dbURL string, opts ...nodeOption) *node {
	t.Helper()
	if dbURL == "" {
		dbURL = testenv.NewDBURL(t)
	}
	setup := nodeSetup{env: map[string]string{"DATABASE_URL": dbURL, "DISABLE_SIP": "true", "DATA_DIR": t.TempDir(), "SHUTDOWN_GRACE": "3s"}, logLevel: slog.LevelWarn}
	for _, o := range opts {
		o(&setup)
	}
	cfg, err := config.Load(func(k string) string { return setup.env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &testLog{t: t}
	var logTo io.Writer = logs
	if setup.logTo != nil {
		logTo = io.MultiWriter(logs, setup.logTo)
	}
	log := slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: setup.logLevel}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, log, listeners{HTTP: ln, Metrics: mln}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop within 10s of cancel")
		}
	})
	n := &node{URL: "http://" + ln.Addr().String(), MetricsURL: "http://" + mln.Addr().String(), DBURL: dbURL, Cfg: cfg, logs: logs}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(n.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node did not come up: %v", err)
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return n
}

// testLog keeps what a node logs, for asserts, and passes it on to t.Log.
type testLog struct {
	t   *testing.T
	mu  sync.Mutex
	buf strings.Builder
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.buf.Write(p)
	l.mu.Unlock()
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// MustRun runs the doithoai command line against dbURL.
func MustRun(t *testing.T, dbURL, stdin string, args ...string) string {
	t.Helper()
	out, err := runCLI(dbURL, stdin, args...)
	if err != nil {
		t.Fatalf("doithoai %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func runCLI(dbURL, stdin string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	env := map[string]string{"DATABASE_URL": dbURL, "LOG_LEVEL": "warn"}
	err := run(context.Background(), append([]string{"doithoai"}, args...), func(k string) string { return env[k] },
		strings.NewReader(stdin), &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// MustCreateUser makes an account through the real CLI.
func MustCreateUser(t *testing.T, n *node, role, login, password string, extra ...string) {
	t.Helper()
	MustRun(t, n.DBURL, password+"\n", append([]string{"user", "create", "--role", role, "--login", login, "--password-stdin"}, extra...)...)
}

// client is an API client with a cookie jar.
type client struct {
	t    *testing.T
	base string
	http *http.Client
	// Bearer, when set, is sent instead of relying on cookies.
	Bearer string
}

func newClient(t *testing.T, n *node) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: n.URL, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Do sends a request with a JSON body (if body is not nil or a string) and
// decodes a JSON answer into out (if not nil). It returns the response.
func (c *client) Do(method, path string, body, out any) *http.Response {
	c.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.Bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.Bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp
}

// MustDo is Do for a call the test builds on: a status outside 2xx fails
// the test at once (an error body decoded into out would otherwise leave it
// zero, and an assertion of "nothing there" pass by accident).
func (c *client) MustDo(method, path string, body, out any) *http.Response {
	c.t.Helper()
	resp := c.Do(method, path, body, out)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(resp.Body)
		c.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp
}

// csrf returns the browser's CSRF token (the "csrf" cookie), fetching a
// page first if there is none yet.
func (c *client) csrf() string {
	u, _ := url.Parse(c.base)
	for i := 0; i < 2; i++ {
		for _, ck := range c.http.Jar.Cookies(u) {
			if ck.Name == "csrf" {
				return ck.Value
			}
		}
		c.MustDo("GET", "/login", nil, nil)
	}
	c.t.Fatal("no csrf cookie")
	return ""
}

// MustLogin logs c in over the API and returns the bearer token.
func (c *client) MustLogin(login, password string) string {
	c.t.Helper()
	var out struct{ Token string }
	resp := c.Do("POST", "/api/v1/session", map[string]string{"login": login, "password": password}, &out)
	if resp.StatusCode != 200 || out.Token == "" {
		body, _ := io.ReadAll(resp.Body)
		c.t.Fatalf("login %s: %d %s", login, resp.StatusCode, body)
	}
	return out.Token
}

type apiError struct {
	Error struct{ Code, Message string }
}

// wantError asserts resp is a JSON error with status and code.
func wantError(t *testing.T, resp *http.Response, status int, code string) {
	t.Helper()
	var e apiError
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("content type %q, want JSON: %s", resp.Header.Get("Content-Type"), body)
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not a JSON error body: %s (%v)", body, errors.Join(err))
	}
	if code == "" {
		t.Fatalf("wantError needs the error code expected (got %q): any JSON error would pass", e.Error.Code)
	}
	if e.Error.Code != code {
		t.Fatalf("error code %q, want %q (%s)", e.Error.Code, code, e.Error.Message)
	}
}
