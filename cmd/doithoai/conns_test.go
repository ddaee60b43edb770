package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/internal/config"
	"github.com/doithoai/doithoai/internal/testenv"
)

// from returns a dialer whose connections come from 127.0.0.x, so a test
// looks like many clients rather than one.
func from(x int) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(x))}, Timeout: 5 * time.Second}
}

// healthzFrom sends GET /healthz on a fresh connection from 127.0.0.x.
func healthzFrom(n *node, x int) (int, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: from(x).DialContext, DisableKeepAlives: true}}
	resp, err := c.Get(n.URL + "/healthz")
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// metricValue reads one unlabelled series from the node's metrics listener.
func metricValue(t *testing.T, n *node, name string) float64 {
	t.Helper()
	resp, err := http.Get(n.MetricsURL + "/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("metric %s is not exported", name)
	return 0
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wantClosedAtOnce asserts the node closes c without waiting for a request
// (a connection beyond the budget), well before ReadHeaderTimeout would.
func wantClosedAtOnce(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("connection from %s beyond the budget was held open (read: %v)", c.LocalAddr(), err)
	}
}

// TestHTTPConnectionBudget holds more connections than HTTP_MAX_CONNS from
// many addresses. WebSockets (long-lived, never evicted) fill the budget:
// further connections are closed at once instead of queueing, and a
// request gets through as soon as sockets close. Silent connections (no
// request yet) in a full budget give way to a newcomer that has work.
func TestHTTPConnectionBudget(t *testing.T) {
	t.Parallel()
	const budget = 12
	n := MustStartNode(t, "", withEnv("HTTP_MAX_CONNS", strconv.Itoa(budget)))
	ctx := context.Background()
	wsURL := "ws" + strings.TrimPrefix(n.URL, "http") + "/ws"
	var sockets []*websocket.Conn
	for i := 0; i < budget; i++ {
		hc := &http.Client{Transport: &http.Transport{DialContext: from(10 + i).DialContext}}
		ws, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: hc})
		if err != nil {
			t.Fatalf("websocket %d: %v", i, err)
		}
		go func() { // read (and drop) frames: that also answers the server's pings
			for {
				if _, _, err := ws.Read(ctx); err != nil {
					return
				}
			}
		}()
		sockets = append(sockets, ws)
	}
	t.Cleanup(func() {
		for _, ws := range sockets {
			_ = ws.CloseNow()
		}
	})
	if got := metricValue(t, n, "doithoai_http_conns_open"); got != budget {
		t.Fatalf("open connections %v, want %d", got, budget)
	}

	for i := 0; i < 6; i++ {
		c, err := from(40+i).Dial("tcp", strings.TrimPrefix(n.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		wantClosedAtOnce(t, c)
		c.Close()
	}
	if status, err := healthzFrom(n, 50); err == nil {
		t.Fatalf("a request beyond a budget full of WebSockets was served (%d)", status)
	}
	if got := metricValue(t, n, "doithoai_http_conns_shed_total"); got < 7 {
		t.Fatalf("shed connections %v, want ≥ 7", got)
	}

	// Closing sockets frees the budget for the next request.
	for _, ws := range sockets[:4] {
		_ = ws.Close(websocket.StatusNormalClosure, "")
	}
	sockets = sockets[4:]
	waitFor(t, "healthz after sockets closed", 20*time.Second, func() bool {
		status, err := healthzFrom(n, 51)
		return err == nil && status == 200
	})

	// Fill the budget again with silent connections: a real request evicts
	// the oldest of them instead of being turned away. First let the
	// health checks' connections close, or the last silent one would find
	// the budget full and (rightly) evict the first.
	waitFor(t, "the health checks' connections closed", 10*time.Second, func() bool {
		return metricValue(t, n, "doithoai_http_conns_open") == float64(len(sockets))
	})
	var silent []net.Conn
	for i := 0; len(sockets)+len(silent) < budget; i++ {
		c, err := from(60+i).Dial("tcp", strings.TrimPrefix(n.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		silent = append(silent, c)
	}
	waitFor(t, "silent connections counted", 10*time.Second, func() bool {
		return metricValue(t, n, "doithoai_http_conns_open") == budget
	})
	if status, err := healthzFrom(n, 80); err != nil || status != 200 {
		t.Fatalf("a request into a budget full of silent connections: %d %v", status, err)
	}
	wantClosedAtOnce(t, silent[0]) // the oldest silent one gave way
	if got := metricValue(t, n, "doithoai_http_conns_evicted_total"); got < 1 {
		t.Fatalf("evicted connections %v, want ≥ 1", got)
	}
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) uint64 {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return uint64(len(ents))
}

// TestHTTPSurvivesEMFILE runs the node out of descriptors, so that accept
// fails with EMFILE, and checks it serves again once descriptors free up.
// (net/http retries temporary accept errors; this pins that the budget
// listener keeps that behaviour and that nothing else stops the node.)
//
// Not parallel: it lowers this test process's own limit; parallel tests
// are paused until the sequential ones have finished.
func TestHTTPSurvivesEMFILE(t *testing.T) {
	n := MustStartNode(t, "", withEnv("HTTP_MAX_CONNS", "1000000")) // past the limit: EMFILE comes first
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
		t.Fatal(err)
	}
	restore := func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig) }
	t.Cleanup(restore)
	low := orig
	low.Cur = openFDs(t) + 32
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	// Use up every descriptor, then free exactly one for the client's
	// socket: the node's accept has none left.
	var hogs []*os.File
	defer func() {
		for _, f := range hogs {
			f.Close()
		}
	}()
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			if !errors.Is(err, syscall.EMFILE) {
				t.Fatal(err)
			}
			break
		}
		hogs = append(hogs, f)
	}
	// The node's own background work (pool connections, jobs) may take the
	// freed descriptor before the dial does: free another and try again.
	var c net.Conn
	var err error
	for try := 0; try < 8 && len(hogs) > 0; try++ {
		hogs[len(hogs)-1].Close()
		hogs = hogs[:len(hogs)-1]
		if c, err = net.Dial("tcp", strings.TrimPrefix(n.URL, "http://")); err == nil || !errors.Is(err, syscall.EMFILE) {
			break
		}
	}
	if err != nil {
		t.Fatalf("dial with one descriptor free: %v", err)
	}
	defer c.Close()
	waitFor(t, "accept failing with EMFILE", 15*time.Second, func() bool {
		logs := n.Logs()
		return strings.Contains(logs, "Accept error") && strings.Contains(logs, "too many open files")
	})
	for _, f := range hogs {
		f.Close()
	}
	hogs = nil
	restore()

	// The connection waiting in the backlog is served, and so are new ones.
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n")
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("after EMFILE: %q %v", line, err)
	}
	if status, err := healthzFrom(n, 1); err != nil || status != 200 {
		t.Fatalf("fresh request after EMFILE: %d %v", status, err)
	}
	_, _ = io.Copy(io.Discard, c)
}

// TestServeRaisesFDLimit: a node started with a soft descriptor limit below
// the hard one raises it (Go's runtime does so only once, at process start,
// and the operator's systemd unit or shell may have lowered it since).
//
// Not parallel: it changes this test process's own limit.
func TestServeRaisesFDLimit(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	hard := lim.Max
	lim.Cur = hard - 1
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	MustStartNode(t, "")
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur != hard {
		t.Fatalf("soft limit %d after serve started, want the hard limit %d", lim.Cur, hard)
	}
}

func TestHTTPConnBudgetDefault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env   map[string]string
		limit uint64
		want  int
	}{
		{map[string]string{"DISABLE_SIP": "true"}, 20000, 16000},                             // 80% of the limit
		{map[string]string{}, 20000, 16000 - 1024},                                           // less the hotline's default
		{map[string]string{"SIP_TCP_MAX_CONNS": "500"}, 20000, 15500},                        // less the hotline's own budget
		{map[string]string{}, 1024, 819 - 102},                                               // a small limit: SIP keeps a tenth
		{map[string]string{"DISABLE_SIP": "true"}, 50, 64},                                   // never below 64
		{map[string]string{"HTTP_MAX_CONNS": "300", "SIP_TCP_MAX_CONNS": "500"}, 20000, 300}, // the operator's number wins
	} {
		tc.env["DATABASE_URL"] = "postgres://u@localhost/db"
		cfg, err := config.Load(func(k string) string { return tc.env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if got := httpConnBudget(cfg, tc.limit, testenv.Logger(t)); got != tc.want {
			t.Errorf("%v, limit %d: budget %d, want %d", tc.env, tc.limit, got, tc.want)
		}
	}
}
