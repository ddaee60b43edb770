// Command loadws measures the livechat WebSocket server on this machine:
// how many idle viewers one node holds and what each costs, broadcast
// latency to thousands of viewers, and messages delivered per second. It
// starts its own throwaway PostgreSQL and one `doithoai serve` on
// loopback, drives it from many loopback source addresses (127.0.0.x, so
// the per-address socket limit still holds), prints the figures and stops
// everything. Every phase is bounded in count and time.
//
//	go run ./cmd/loadws -bin bin/doithoai
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/internal/localserver"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadws:", err)
		os.Exit(1)
	}
}

type config struct {
	bin        string
	viewers    []int
	subs       []int
	answers    int
	throughput time.Duration
	limit      time.Duration
}

func run() error {
	var c config
	var viewers, subs string
	flag.StringVar(&c.bin, "bin", "bin/doithoai", "doithoai binary to serve")
	flag.StringVar(&viewers, "viewers", "5000,20000", "viewer counts for the idle-memory and latency phases")
	flag.StringVar(&subs, "subs", "1000,5000", "subscriber counts for the throughput phase")
	flag.IntVar(&c.answers, "answers", 40, "broadcasts per latency phase")
	flag.DurationVar(&c.throughput, "throughput-time", 8*time.Second, "length of each throughput phase")
	flag.DurationVar(&c.limit, "limit", 8*time.Minute, "the whole run stops after this long")
	flag.Parse()
	c.viewers, c.subs = ints(viewers), ints(subs)
	ctx, cancel := context.WithTimeout(context.Background(), c.limit)
	defer cancel()
	raiseNoFile()

	dir, err := os.MkdirTemp("", "loadws-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pg, err := localserver.StartPostgres(ctx, localserver.PostgresOptions{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		return err
	}
	defer pg.Stop()
	port, err := localserver.FreePort()
	if err != nil {
		return err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	env := append(os.Environ(), "DATABASE_URL="+pg.URL("postgres"), "HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"DISABLE_SIP=true", "LOG_LEVEL=warn", "DATA_DIR="+filepath.Join(dir, "data"), "REDIS_URL=", "BASE_URL="+base)
	for _, step := range [][]string{{"migrate"}, {"user", "create", "--role", "admin", "--login", "admin", "--password-stdin"},
		{"user", "create", "--role", "leader", "--login", "leader", "--password-stdin"}} {
		cmd := exec.CommandContext(ctx, c.bin, step...)
		cmd.Env, cmd.Stdin = env, strings.NewReader("load-test-password\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(step, " "), err, out)
		}
	}
	srv := exec.Command(c.bin, "serve")
	srv.Env, srv.Stderr = env, os.Stderr
	srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { _ = srv.Process.Signal(syscall.SIGTERM); _ = srv.Wait() }()
	if err := waitUp(ctx, base); err != nil {
		return err
	}
	fmt.Printf("loadws: node pid %d at %s, GOMAXPROCS of this machine %d\n", srv.Process.Pid, base, nproc())
	room, sessionID, err := setupSession(base)
	if err != nil {
		return err
	}
	leader, err := login(base, "leader")
	if err != nil {
		return err
	}
	qid, err := approvedQuestion(base, sessionID)
	if err != nil {
		return err
	}
	a := &answerer{base: base, token: leader, session: sessionID, question: qid}

	time.Sleep(3 * time.Second)
	prevN, prevMem := 0, 0.0
	for _, n := range c.viewers {
		if ctx.Err() != nil {
			break
		}
		before := metrics(base)
		vs, err := openViewers(ctx, base, room, n)
		if err != nil {
			closeAll(vs)
			return err
		}
		time.Sleep(3 * time.Second) // let the server settle (GC, presence)
		after := metrics(base)
		held := int(after["doithoai_livechat_connections"])
		heap := after["go_memstats_heap_inuse_bytes"] - before["go_memstats_heap_inuse_bytes"]
		stack := after["go_memstats_stack_inuse_bytes"] - before["go_memstats_stack_inuse_bytes"]
		rss := after["process_resident_memory_bytes"] - before["process_resident_memory_bytes"]
		fmt.Printf("idle  %6d viewers: node holds %d sockets, %d goroutines; per socket: heap %.1f KB + stacks %.1f KB = %.1f KB (RSS %.1f KB)\n",
			n, held, int(after["go_goroutines"]), heap/float64(n)/1024, stack/float64(n)/1024, (heap+stack)/float64(n)/1024, rss/float64(n)/1024)
		// The slope between two idle states is the honest cost of a socket:
		// garbage and start-up allocations cancel out.
		if mem := after["go_memstats_heap_inuse_bytes"] + after["go_memstats_stack_inuse_bytes"]; prevN > 0 {
			fmt.Printf("idle  slope %d→%d viewers: %.1f KB per socket (heap+stacks)\n", prevN, n, (mem-prevMem)/float64(n-prevN)/1024)
		} else {
			prevMem = mem
		}
		prevN = n
		lat := latency(ctx, a, vs, c.answers)
		fmt.Printf("bcast %6d viewers: %d broadcasts, %d deliveries, p50 %v p99 %v max %v, lost %d\n",
			n, c.answers, lat.count, lat.p(0.50), lat.p(0.99), lat.p(1), int64(c.answers*n)-lat.count)
		closeAll(vs)
		time.Sleep(2 * time.Second)
	}
	for _, n := range c.subs {
		if ctx.Err() != nil {
			break
		}
		vs, err := openViewers(ctx, base, room, n)
		if err != nil {
			closeAll(vs)
			return err
		}
		sent, delivered, took := throughput(ctx, a, vs, c.throughput)
		fmt.Printf("tput  %6d subscribers: %d messages of 128 B sent, %d delivered in %v: %.0f msg/s delivered\n",
			n, sent, delivered, took.Round(time.Millisecond), float64(delivered)/took.Seconds())
		closeAll(vs)
		time.Sleep(2 * time.Second)
	}
	return ctx.Err()
}

func ints(s string) []int {
	var out []int
	for _, p := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

func nproc() int {
	n := 0
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "processor") {
			n++
		}
	}
	return n
}

// raiseNoFile lifts the open-file limit to the hard limit; the node
// inherits it.
func raiseNoFile() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func waitUp(ctx context.Context, base string) error {
	for {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("node did not come up")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func call(method, url, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, _ := json.Marshal(in)
		body = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func login(base, who string) (string, error) {
	var out struct{ Token string }
	err := call("POST", base+"/api/v1/session", "", map[string]string{"login": who, "password": "load-test-password"}, &out)
	return out.Token, err
}

func setupSession(base string) (string, int64, error) {
	admin, err := login(base, "admin")
	if err != nil {
		return "", 0, err
	}
	var out struct {
		ID   int64
		Room string
	}
	err = call("POST", base+"/api/v1/live-sessions", admin, map[string]any{"title": "Load test", "starts_at": time.Now().Add(-time.Minute),
		"duration_minutes": 600, "leaders": []string{"leader"}}, &out)
	return out.Room, out.ID, err
}

func approvedQuestion(base string, session int64) (int64, error) {
	admin, err := login(base, "admin")
	if err != nil {
		return 0, err
	}
	var q struct{ ID int64 }
	if err := call("POST", fmt.Sprintf("%s/api/v1/live-sessions/%d/questions", base, session), "", map[string]string{"body": "Câu hỏi thử tải"}, &q); err != nil {
		return 0, err
	}
	return q.ID, call("POST", fmt.Sprintf("%s/api/v1/live-sessions/%d/questions/%d/approve", base, session, q.ID), admin, map[string]string{}, nil)
}

// answerer posts leaders' answers.
type answerer struct {
	base, token       string
	session, question int64
}

// post sends one answer whose body starts with the send time.
func (a *answerer) post(size int) error {
	body := "t=" + strconv.FormatInt(time.Now().UnixNano(), 10) + " "
	body += strings.Repeat("x", max(1, size-len(body)))
	return call("POST", fmt.Sprintf("%s/api/v1/live-sessions/%d/answers", a.base, a.session), a.token,
		map[string]any{"question_id": a.question, "body": body}, nil)
}

// viewer is one socket reading a live room; it counts answers and keeps
// their latency.
type viewer struct {
	ws    *websocket.Conn
	got   atomic.Int64
	mu    sync.Mutex
	lat   []time.Duration
	track atomic.Bool
}

var tsKey = []byte(`"body":"t=`)

func (v *viewer) read() {
	for {
		_, data, err := v.ws.Read(context.Background())
		if err != nil {
			return
		}
		i := bytes.Index(data, tsKey)
		if i < 0 {
			continue
		}
		v.got.Add(1)
		if v.track.Load() {
			rest := data[i+len(tsKey):]
			if j := bytes.IndexByte(rest, ' '); j > 0 {
				if ns, err := strconv.ParseInt(string(rest[:j]), 10, 64); err == nil {
					v.mu.Lock()
					v.lat = append(v.lat, time.Duration(time.Now().UnixNano()-ns))
					v.mu.Unlock()
				}
			}
		}
	}
}

// openViewers connects n sockets that join room, 400 per loopback source
// address, and waits until every one has joined.
func openViewers(ctx context.Context, base, room string, n int) ([]*viewer, error) {
	url := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	join := []byte(`{"type":"join","room":"` + room + `","since":1000000000}`)
	vs := make([]*viewer, n)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value
	sem := make(chan struct{}, 64)
	for i := range vs {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			src := &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+i/400/250), byte(2+i/400%250))}
			d := &net.Dialer{LocalAddr: src, Timeout: 10 * time.Second}
			hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
			dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(dctx, url, &websocket.DialOptions{HTTPClient: hc})
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
				return
			}
			ws.SetReadLimit(1 << 16)
			if err := ws.Write(dctx, websocket.MessageText, join); err != nil {
				failed.Add(1)
				return
			}
			v := &viewer{ws: ws}
			vs[i] = v
			go v.read()
		}(i)
	}
	wg.Wait()
	out := vs[:0]
	for _, v := range vs {
		if v != nil {
			out = append(out, v)
		}
	}
	if f := failed.Load(); f > 0 {
		return out, fmt.Errorf("%d of %d viewers failed to connect: %v", f, n, firstErr.Load())
	}
	time.Sleep(time.Second) // joins land
	return out, nil
}

func closeAll(vs []*viewer) {
	for _, v := range vs {
		_ = v.ws.CloseNow()
	}
}

type latencies struct {
	all   []time.Duration
	count int64
}

func (l latencies) p(q float64) time.Duration {
	if len(l.all) == 0 {
		return 0
	}
	i := int(q*float64(len(l.all))) - 1
	return l.all[max(0, min(i, len(l.all)-1))].Round(100 * time.Microsecond)
}

// latency broadcasts k answers, 200 ms apart, and gathers how long each
// took to reach every viewer.
func latency(ctx context.Context, a *answerer, vs []*viewer, k int) latencies {
	for _, v := range vs {
		v.got.Store(0)
		v.lat = nil
		v.track.Store(true)
	}
	for i := 0; i < k && ctx.Err() == nil; i++ {
		if err := a.post(128); err != nil {
			fmt.Fprintln(os.Stderr, "answer:", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	var l latencies
	for _, v := range vs {
		v.track.Store(false)
		v.mu.Lock()
		l.all = append(l.all, v.lat...)
		v.mu.Unlock()
		l.count += v.got.Load()
	}
	sort.Slice(l.all, func(i, j int) bool { return l.all[i] < l.all[j] })
	return l
}

// throughput posts 128-byte answers from 8 senders for d and counts what
// the viewers receive until the flow stops.
func throughput(ctx context.Context, a *answerer, vs []*viewer, d time.Duration) (sent, delivered int64, took time.Duration) {
	for _, v := range vs {
		v.got.Store(0)
	}
	var n atomic.Int64
	start := time.Now()
	stop := start.Add(d)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) && ctx.Err() == nil {
				if a.post(128) == nil {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	total := func() int64 {
		var t int64
		for _, v := range vs {
			t += v.got.Load()
		}
		return t
	}
	want := n.Load() * int64(len(vs))
	last, lastAt := int64(-1), time.Now()
	for ctx.Err() == nil {
		t := total()
		if t >= want {
			lastAt = time.Now()
			break
		}
		if t != last {
			last, lastAt = t, time.Now()
		} else if time.Since(lastAt) > 2*time.Second {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return n.Load(), total(), lastAt.Sub(start)
}

// metrics reads the node's Prometheus gauges (unlabelled ones).
func metrics(base string) map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "#") || strings.Contains(l, "{") {
			continue
		}
		if k, v, ok := strings.Cut(l, " "); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				out[k] = f
			}
		}
	}
	return out
}
