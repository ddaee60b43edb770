package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/internal/localserver"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/jackc/pgx/v5"
)

// childNodeEnv, set in a process's environment, makes the test binary
// run `doithoai serve` instead of tests: a real node process that a test
// can kill, with no binary to build first.
const childNodeEnv = "DOITHOAI_TEST_CHILD_NODE"

func childNode() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, []string{"doithoai", "serve"}, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "doithoai:", err)
		return 1
	}
	return 0
}

// procNode is a `doithoai serve` process.
type procNode struct {
	addr string // host:port of HTTP_ADDR
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

func mustStartProcNode(t *testing.T, dbURL, redisURL string) *procNode {
	t.Helper()
	port, err := localserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	mport, err := localserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	n := &procNode{addr: "127.0.0.1:" + strconv.Itoa(port), done: make(chan struct{}), log: filepath.Join(dir, "node.log")}
	logf, err := os.Create(n.log)
	if err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(os.Args[0], "-test.run=^$")
	n.cmd.Env = append(os.Environ(), childNodeEnv+"=1", "DATABASE_URL="+dbURL, "REDIS_URL="+redisURL,
		"HTTP_ADDR="+n.addr, "METRICS_ADDR=127.0.0.1:"+strconv.Itoa(mport), "DISABLE_SIP=true",
		"DATA_DIR="+filepath.Join(dir, "data"), "TRUST_PROXY=true", "LOG_LEVEL=warn", "SHUTDOWN_GRACE=2s")
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = n.cmd.Wait(); logf.Close(); close(n.done) }()
	t.Cleanup(func() {
		_ = n.cmd.Process.Kill()
		<-n.done
		if t.Failed() {
			b, _ := os.ReadFile(n.log)
			t.Logf("node %s log:\n%s", n.addr, b)
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		select {
		case <-n.done:
			b, _ := os.ReadFile(n.log)
			t.Fatalf("node exited:\n%s", b)
		default:
		}
		if r, err := http.Get("http://" + n.addr + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("node not ready in 30 s")
		}
	}
}

func (n *procNode) kill() {
	_ = n.cmd.Process.Kill()
	<-n.done
}

// haproxyBin finds HAProxy; a machine without it fails the test, naming it.
func haproxyBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("haproxy"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/haproxy"); err == nil {
		return "/usr/sbin/haproxy"
	}
	t.Fatal("haproxy not found: install it with `apt-get install -y haproxy` (scripts/install-deps.sh test)")
	return ""
}

// mustStartHAProxy runs the shipped deploy/haproxy/haproxy.cfg in front of
// the nodes and returns its base URL.
func mustStartHAProxy(t *testing.T, n1, n2 string) string {
	t.Helper()
	bin := haproxyBin(t)
	port, err := localserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	bind := "127.0.0.1:" + strconv.Itoa(port)
	cfg, err := filepath.Abs("../../deploy/haproxy/haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd := exec.Command(bin, "-db", "-f", cfg)
	cmd.Env = append(os.Environ(), "DOITHOAI_BIND="+bind, "DOITHOAI_NODE1="+n1, "DOITHOAI_NODE2="+n2)
	w := &syncWriter{w: &out} // one lock for both streams: they share out
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("haproxy output:\n%s", out.String())
		}
	})
	return "http://" + bind
}

type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w.Len() > 1<<20 {
		return len(p), nil
	}
	return s.w.Write(p)
}

// Two real node processes behind HAProxy running the shipped config; a
// browser-like client reads pages and chats through the balancer. The node
// holding the chat socket is killed: every page request still answers 200
// (the balancer retries on the other node and its health checks take the
// dead one out), and the chat resumes on the other node with since: every
// line the citizen sent is stored once and seen once, in seq order.
func TestBehindHAProxyANodeKillLosesNothing(t *testing.T) {
	t.Parallel()
	haproxyBin(t)
	dbURL := testenv.NewDBURL(t)
	// A Redis of the test's own: nodes name channels with the fixed
	// deployment prefix, which other tests' nodes would share.
	rs, err := localserver.StartRedis(context.Background(), t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.Stop)
	MustCreateUser(t, &node{DBURL: dbURL}, "moderator", "mod1", "correct horse battery")
	nodes := map[string]*procNode{"node1": mustStartProcNode(t, dbURL, rs.URL()), "node2": mustStartProcNode(t, dbURL, rs.URL())}
	lb := mustStartHAProxy(t, nodes["node1"].addr, nodes["node2"].addr)

	// Both nodes in rotation: the balancer says which one answered.
	seen := map[string]bool{}
	for deadline := time.Now().Add(20 * time.Second); len(seen) < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("nodes seen through the balancer: %v, want both", seen)
		}
		r, err := http.Get(lb + "/readyz")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				seen[r.Header.Get("X-Served-By")] = true
			}
		}
	}

	lbNode := &node{URL: lb, DBURL: dbURL}
	citizen, mod := newClient(t, lbNode), newClient(t, lbNode)
	mod.MustLogin("mod1", "correct horse battery")
	var conv struct {
		ID          int64
		Token, Room string
	}
	citizen.MustDo("POST", "/api/v1/conversations", map[string]any{"topic": "Đất đai", "consent": true}, &conv)
	mod.MustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/accept", conv.ID), map[string]any{}, nil)

	// Pages, all along: a browser reading the forum through the balancer.
	var pages, failed atomic.Int64
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		hc := &http.Client{Timeout: 10 * time.Second}
		for {
			select {
			case <-stop:
				return
			default:
			}
			r, err := hc.Get(lb + "/")
			pages.Add(1)
			if err != nil || r.StatusCode != 200 {
				failed.Add(1)
				firstFailure.CompareAndSwap(nil, fmt.Sprint(err, r))
			}
			if r != nil {
				r.Body.Close()
			}
		}
	}()

	chat := newLBChat(t, lb, conv.Room, http.Header{"X-Conversation-Token": {conv.Token}})
	const lines = 40
	var atKill int64 // pages answered when the node was killed
	for i := 1; i <= lines; i++ {
		id := fmt.Sprintf("l%d", i)
		chat.say(id, fmt.Sprintf("dòng %d", i))
		if i == lines/2 {
			// Kill the node holding the socket while this line is in flight.
			victim := nodes[chat.servedBy]
			if victim == nil {
				t.Fatalf("the socket's node %q is not one of ours", chat.servedBy)
			}
			victim.kill()
			atKill = pages.Load()
			t.Logf("killed %s after sending line %d", chat.servedBy, i)
		}
		chat.awaitAck(id)
	}
	// The pages go on until enough were asked after the kill too: a fast
	// chat may finish before the page loop has made many.
	waitFor(t, "page requests after the kill", 20*time.Second, func() bool {
		return pages.Load() >= 20 && pages.Load() >= atKill+10
	})
	close(stop)
	wg.Wait()
	if pages.Load() < 20 || failed.Load() != 0 {
		t.Fatalf("%d of %d page requests failed (first: %v)", failed.Load(), pages.Load(), firstFailure.Load())
	}
	if chat.reconnects < 1 {
		t.Fatal("the chat never reconnected: was the right node killed?")
	}
	// Seen: the accept notice and every line, once each, in seq order (the
	// client fails on a gap or a repeat as it reads).
	chat.awaitSeq(int64(lines + 1))
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var stored, distinct int
	if err := conn.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT body) FROM chat_messages WHERE room = $1 AND kind = 'text'`, conv.Room).Scan(&stored, &distinct); err != nil {
		t.Fatal(err)
	}
	if stored != lines || distinct != lines {
		t.Fatalf("stored %d lines (%d distinct), want %d once each", stored, distinct, lines)
	}
	for i := 1; i <= lines; i++ {
		if n := chat.bodies[fmt.Sprintf("dòng %d", i)]; n != 1 {
			t.Fatalf("line %d seen %d times, want once", i, n)
		}
	}
	t.Logf("%d pages, none failed; chat resumed after %d reconnects", pages.Load(), chat.reconnects)
}

// lbChat is a chat client as livechat.js is: it keeps the last seq seen,
// reconnects through the balancer when its socket drops, joins again with
// since, and resends lines not yet acknowledged with the same client_id.
type lbChat struct {
	t          *testing.T
	url        string
	header     http.Header
	room       string
	ws         *websocket.Conn
	frames     chan lbFrame
	servedBy   string
	lastSeq    int64
	pending    map[string]string // client_id → body, until acknowledged
	acked      map[string]bool
	bodies     map[string]int // body → times seen
	reconnects int
}

type lbFrame struct {
	Type       string `json:"type"`
	Room       string `json:"room"`
	Seq        int64  `json:"seq"`
	Body       string `json:"body"`
	Kind       string `json:"kind"`
	ClientID   string `json:"client_id"`
	Code       string `json:"code"`
	RetryAfter int    `json:"retry_after"`
	closed     bool
}

func newLBChat(t *testing.T, base, room string, h http.Header) *lbChat {
	c := &lbChat{t: t, url: "ws" + strings.TrimPrefix(base, "http") + "/ws", header: h, room: room,
		pending: map[string]string{}, acked: map[string]bool{}, bodies: map[string]int{}}
	c.connect()
	t.Cleanup(func() { _ = c.ws.CloseNow() })
	return c
}

// connect dials through the balancer (retrying until a deadline), joins
// with since and resends what is unacknowledged.
func (c *lbChat) connect() {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ws, resp, err := websocket.Dial(ctx, c.url, &websocket.DialOptions{HTTPHeader: c.header})
		cancel()
		if err == nil {
			c.ws, c.servedBy = ws, resp.Header.Get("X-Served-By")
			break
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("could not reconnect through the balancer: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // a browser's reconnect delay
	}
	c.ws.SetReadLimit(1 << 20)
	frames := make(chan lbFrame, 1024)
	c.frames = frames
	go func(ws *websocket.Conn) {
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				frames <- lbFrame{closed: true}
				return
			}
			var f lbFrame
			if json.Unmarshal(data, &f) == nil {
				frames <- f
			}
		}
	}(c.ws)
	c.write(map[string]any{"type": "join", "room": c.room, "since": c.lastSeq})
	for id, body := range c.pending {
		c.write(map[string]any{"type": "send", "room": c.room, "body": body, "client_id": id})
	}
}

func (c *lbChat) write(v any) {
	data, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.ws.Write(ctx, websocket.MessageText, data) // a failed write shows as the socket closing
}

func (c *lbChat) say(id, body string) {
	c.pending[id] = body
	c.write(map[string]any{"type": "send", "room": c.room, "body": body, "client_id": id})
}

// step handles the next frame, reconnecting if the socket closed.
func (c *lbChat) step(deadline <-chan time.Time, what string) {
	c.t.Helper()
	select {
	case <-deadline:
		c.t.Fatalf("timed out waiting for %s (last seq %d)", what, c.lastSeq)
	case f := <-c.frames:
		switch {
		case f.closed:
			c.reconnects++
			c.connect()
		case f.Type == "message" && f.Room == c.room:
			if f.Seq != c.lastSeq+1 {
				c.t.Fatalf("seq %d after %d: a gap or a repeat", f.Seq, c.lastSeq)
			}
			c.lastSeq = f.Seq
			if f.Kind == "text" {
				c.bodies[f.Body]++
			}
		case f.Type == "ack":
			delete(c.pending, f.ClientID)
			c.acked[f.ClientID] = true
		case f.Type == "error" && (f.Code == "unavailable" || f.Code == "rate_limited") && f.ClientID == "":
			time.Sleep(time.Duration(f.RetryAfter) * time.Second) // the advice a client follows
			c.write(map[string]any{"type": "join", "room": c.room, "since": c.lastSeq})
		case f.Type == "error":
			c.t.Fatalf("error frame %+v", f)
		}
	}
}

func (c *lbChat) awaitAck(id string) {
	c.t.Helper()
	deadline := time.After(30 * time.Second)
	for !c.acked[id] {
		c.step(deadline, "the ack of "+id)
	}
}

func (c *lbChat) awaitSeq(seq int64) {
	c.t.Helper()
	deadline := time.After(30 * time.Second)
	for c.lastSeq < seq {
		c.step(deadline, fmt.Sprint("seq ", seq))
	}
}
