// Command loadws measures the livechat WebSocket server on this machine:
// how many idle viewers one node holds and what each costs, broadcast
// latency to thousands of viewers, and messages delivered per second. It
// starts its own throwaway PostgreSQL and one `doithoai serve` on
// loopback, drives it from many loopback source addresses (127.0.x.y, so
// the per-address socket limit still holds), prints the figures and stops
// everything. Every phase is bounded in count and time.
//
// The viewers live in worker processes (this program again, with
// -worker), so that no process needs more sockets than its open-file
// limit allows; every process lifts its soft limit to the hard one, and
// the node, which needs a descriptor per socket too, inherits the
// coordinator's (raised further when the system lets it).
//
// The generator shares the machine with the node. Each phase says how the
// machine's CPU time was spent meanwhile: the node, the generator, the
// node's PostgreSQL, and other processes (anything else running).
//
// Idle memory is read right after one of the node's garbage collections
// (it waits for one, up to -gc-wait), so heap figures are live memory;
// RSS is what the kernel counts, garbage and freed-but-kept pages included.
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
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/doithoai/doithoai/cmd/internal/percentile"
	"github.com/doithoai/doithoai/internal/localserver"
)

func main() {
	var err error
	if len(os.Args) == 2 && os.Args[1] == "-worker" {
		err = runWorker()
	} else {
		err = run()
	}
	if err != nil {
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
	workers    int
	perWorker  int
	gcWait     time.Duration
	nodeEnv    []string
}

func run() error {
	var c config
	var viewers, subs, nodeEnv string
	flag.StringVar(&c.bin, "bin", "bin/doithoai", "doithoai binary to serve")
	flag.StringVar(&viewers, "viewers", "5000,20000", "viewer counts for the idle-memory and latency phases")
	flag.StringVar(&subs, "subs", "1000,5000", "subscriber counts for the throughput phase")
	flag.IntVar(&c.answers, "answers", 40, "broadcasts per latency phase")
	flag.DurationVar(&c.throughput, "throughput-time", 8*time.Second, "length of each throughput phase")
	flag.DurationVar(&c.limit, "limit", 20*time.Minute, "the whole run stops after this long")
	flag.IntVar(&c.workers, "workers", 0, "generator processes holding the sockets (0: one per -per-worker sockets, at least 2)")
	flag.IntVar(&c.perWorker, "per-worker", 10000, "sockets per generator process when -workers is 0")
	flag.DurationVar(&c.gcWait, "gc-wait", 150*time.Second, "how long to wait for the node's next GC before reading idle memory (0: read at once)")
	flag.StringVar(&nodeEnv, "node-env", "", "extra environment of the node, e.g. GOGC=50,GOMEMLIMIT=400MiB")
	mode := flag.String("mode", "capacity", "capacity (idle memory, broadcast latency, throughput), redis-outage (two nodes, cross-node delivery across a Redis stop and start: outage.go) or publish (durable chat lines stored per second: publish.go)")
	var pc publishConfig
	flag.IntVar(&pc.sockets, "pub-sockets", 1000, "publish: citizens' sockets sending lines, one loopback address each")
	flag.IntVar(&pc.rooms, "pub-rooms", 0, "publish: conversations they write in (0: one per socket)")
	flag.IntVar(&pc.rounds, "pub-rounds", 2, "publish: rounds per binary (-bin may be old,new: rounds alternate)")
	flag.DurationVar(&pc.phase, "pub-time", 8*time.Second, "publish: length of a round (at most 10s: each address may send 120 lines a minute)")
	flag.BoolVar(&pc.durable, "pg-durable", false, "publish: PostgreSQL with fsync and synchronous commit on")
	var oc outageConfig
	flag.DurationVar(&oc.phase, "outage-phase", 10*time.Second, "redis-outage: length of the phases before and after the outage")
	flag.DurationVar(&oc.down, "outage-down", 10*time.Second, "redis-outage: how long Redis stays down")
	flag.DurationVar(&oc.every, "outage-every", 50*time.Millisecond, "redis-outage: one answer per this interval")
	var vc versusConfig
	flag.StringVar(&vc.centrifugo, "centrifugo", "", "fan-out against Centrifugo: its binary; runs -subs against -bin and it, alternating (centrifugo.go)")
	flag.IntVar(&vc.rounds, "rounds", 2, "centrifugo: rounds of the alternation")
	flag.Parse()
	c.viewers, c.subs = ints(viewers), ints(subs)
	if nodeEnv != "" {
		c.nodeEnv = strings.Split(nodeEnv, ",")
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.limit)
	defer cancel()

	most := slices.Max(append(append([]int{1}, c.viewers...), c.subs...))
	// The node inherits this process's limits: it needs a descriptor per
	// socket and some for itself.
	soft, hard, raiseErr := raiseNoFile(uint64(most + 1024))
	fmt.Printf("loadws: %s, %d CPUs, load average %s; open-file limit %d (hard %d)", time.Now().UTC().Format(time.RFC3339), nproc(), loadavg(), soft, hard)
	if raiseErr != nil {
		fmt.Printf("; raising the hard limit to %d: %v", most+1024, raiseErr)
	}
	fmt.Println()

	dir, err := os.MkdirTemp("", "loadws-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if *mode == "publish" {
		if pc.rooms <= 0 || pc.rooms > pc.sockets {
			pc.rooms = pc.sockets
		}
		return runPublish(ctx, strings.Split(c.bin, ","), dir, pc)
	}
	pg, err := localserver.StartPostgres(ctx, localserver.PostgresOptions{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		return err
	}
	defer pg.Stop()
	if *mode == "redis-outage" {
		return runOutage(ctx, c.bin, dir, pg, oc)
	}
	if vc.centrifugo != "" {
		return runVersus(ctx, c, dir, pg, vc)
	}
	port, err := localserver.FreePort()
	if err != nil {
		return err
	}
	mport, err := localserver.FreePort()
	if err != nil {
		return err
	}
	// /metrics (sockets held, heap) is served on METRICS_ADDR only, never
	// on the public address.
	base, mbase := "http://127.0.0.1:"+strconv.Itoa(port), "http://127.0.0.1:"+strconv.Itoa(mport)
	env := append(os.Environ(), "DATABASE_URL="+pg.URL("postgres"), "HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"METRICS_ADDR=127.0.0.1:"+strconv.Itoa(mport),
		"DISABLE_SIP=true", "LOG_LEVEL=warn", "DATA_DIR="+filepath.Join(dir, "data"), "REDIS_URL=", "BASE_URL="+base)
	if err := prepareNode(ctx, c.bin, env); err != nil {
		return err
	}
	srv := exec.Command(c.bin, "serve")
	srv.Env, srv.Stderr = append(env, c.nodeEnv...), os.Stderr
	srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { _ = srv.Process.Signal(syscall.SIGTERM); _ = srv.Wait() }()
	if err := waitUp(ctx, base); err != nil {
		return err
	}
	meter := &cpuMeter{nodePid: srv.Process.Pid, pgDir: filepath.Join(dir, "pg", "pg"), gen: []int{os.Getpid()}}
	workers, err := c.startWorkers(ctx, most, meter)
	defer workers.stop()
	if err != nil {
		return err
	}
	nw := len(workers)
	limit, inUse := procFiles(srv.Process.Pid)
	fmt.Printf("loadws: node pid %d at %s (%s), open-file limit %d with %d in use: room for %d sockets; %d generator processes\n",
		srv.Process.Pid, base, strings.Join(append([]string{"default GC"}, c.nodeEnv...)[min(1, len(c.nodeEnv)):], " "), limit, inUse, limit-inUse, nw)
	room, sessionID, err := setupSession(base)
	if err != nil {
		return err
	}
	leader, err := login(base, "leader")
	if err != nil {
		return err
	}
	qids, err := approvedQuestions(base, sessionID, answerQuestions)
	if err != nil {
		return err
	}
	a := &answerer{base: base, token: leader, session: sessionID, questions: qids}
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/ws"

	time.Sleep(2 * time.Second)
	idle := memoryAfterGC(mbase, srv.Process.Pid, c.gcWait)
	fmt.Printf("idle       0 viewers: heap %.1f MB, stacks %.1f MB, RSS %.1f MB%s\n", idle.heap/(1<<20), idle.stacks/(1<<20), idle.rss/(1<<20), gcNote(idle, c.gcWait))
	prevN, prevMem := 0, idle
	for _, n := range c.viewers {
		if ctx.Err() != nil {
			break
		}
		meter.start()
		opened, failed, firstErr, err := workers.open(wsURL, room, n)
		if err != nil {
			return err
		}
		if failed > 0 {
			fmt.Printf("open   %6d viewers: %d connected, %d failed (%s)\n", n, opened, failed, firstErr)
		}
		time.Sleep(3 * time.Second) // let the node settle (presence, the joins' garbage)
		mem := memoryAfterGC(mbase, srv.Process.Pid, c.gcWait)
		held := int(metrics(mbase)["doithoai_livechat_connections"])
		fmt.Printf("idle  %6d viewers: node holds %d sockets, heap %.1f MB, stacks %.1f MB, RSS %.1f MB; per socket: %s%s\n",
			n, held, mem.heap/(1<<20), mem.stacks/(1<<20), mem.rss/(1<<20), mem.sub(idle).per(held), gcNote(mem, c.gcWait))
		// The slope between two idle states is the honest cost of a socket:
		// fixed and start-up allocations cancel out.
		if prevN > 0 && held > prevN {
			fmt.Printf("idle  slope %d→%d: per socket %s\n", prevN, held, mem.sub(prevMem).per(held-prevN))
		}
		prevN, prevMem = held, mem
		meter.start()
		lat, got, err := latency(ctx, a, workers, c.answers)
		if err != nil {
			return err
		}
		fmt.Printf("bcast %6d viewers: %d broadcasts, %d deliveries, p50 %v p99 %v max %v, lost %d\n",
			opened, c.answers, got, lat.p(0.50), lat.p(0.99), lat.p(1), int64(c.answers*opened)-got)
		fmt.Printf("      %s\n", meter.report())
		if err := workers.simple("close", false); err != nil {
			return err
		}
		time.Sleep(2 * time.Second)
	}
	for _, n := range c.subs {
		if ctx.Err() != nil {
			break
		}
		opened, failed, firstErr, err := workers.open(wsURL, room, n)
		if err != nil {
			return err
		}
		if failed > 0 {
			fmt.Printf("open   %6d subscribers: %d connected, %d failed (%s)\n", n, opened, failed, firstErr)
		}
		meter.start()
		sent, delivered, took := throughput(ctx, a.post, workers, opened, c.throughput)
		fmt.Printf("tput  %6d subscribers: %d messages of 128 B sent, %d delivered in %v: %.0f msg/s delivered\n",
			opened, sent, delivered, took.Round(time.Millisecond), float64(delivered)/took.Seconds())
		fmt.Printf("      %s\n", meter.report())
		if err := workers.simple("close", false); err != nil {
			return err
		}
		time.Sleep(2 * time.Second)
	}
	return ctx.Err()
}

// prepareNode migrates the node's database and creates its admin and its
// leader.
func prepareNode(ctx context.Context, bin string, env []string) error {
	for _, step := range [][]string{{"migrate"}, {"user", "create", "--role", "admin", "--login", "admin", "--password-stdin"},
		{"user", "create", "--role", "leader", "--login", "leader", "--password-stdin"}} {
		cmd := exec.CommandContext(ctx, bin, step...)
		cmd.Env, cmd.Stdin = env, strings.NewReader("load-test-password\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(step, " "), err, out)
		}
	}
	return nil
}

func gcNote(m memory, wait time.Duration) string {
	switch {
	case m.afterGC:
		return ", after a GC"
	case wait > 0:
		return fmt.Sprintf(", no GC within %v", wait)
	}
	return ""
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
	base, token string
	session     int64
	question    int64   // the question answered when questions is empty
	questions   []int64 // answered in turn (see approvedQuestions)
	next        atomic.Uint64
}

// questionFor is the question of the next answer: in turn over questions,
// so that concurrent senders answer different questions, as leaders do.
// Every answer locks its question's row until it commits; eight senders
// answering one question took turns on that lock, which then set the
// pace of the whole fan-out run.
func (a *answerer) questionFor() int64 {
	if len(a.questions) == 0 {
		return a.question
	}
	return a.questions[(a.next.Add(1)-1)%uint64(len(a.questions))]
}

// post sends one answer whose body starts with the send time.
func (a *answerer) post(size int) error {
	body := "t=" + strconv.FormatInt(time.Now().UnixNano(), 10) + " "
	body += strings.Repeat("x", max(1, size-len(body)))
	return call("POST", fmt.Sprintf("%s/api/v1/live-sessions/%d/answers", a.base, a.session), a.token,
		map[string]any{"question_id": a.questionFor(), "body": body}, nil)
}

// answerQuestions is how many approved questions the throughput phases
// answer in turn: twice the senders, and under the 20 questions an
// address may ask in 10 minutes.
const answerQuestions = 16

// approvedQuestions asks and approves n questions in session.
func approvedQuestions(base string, session int64, n int) ([]int64, error) {
	qs := make([]int64, 0, n)
	for range n {
		q, err := approvedQuestion(base, session)
		if err != nil {
			return nil, err
		}
		qs = append(qs, q)
	}
	return qs, nil
}

type latencies struct {
	all []time.Duration
}

func (l latencies) p(q float64) time.Duration {
	return percentile.Sorted(l.all, q*100).Round(100 * time.Microsecond)
}

// latency broadcasts k answers, 200 ms apart, and gathers how long each
// took to reach every viewer.
func latency(ctx context.Context, a *answerer, p pool, k int) (latencies, int64, error) {
	if err := p.simple("track", true); err != nil {
		return latencies{}, 0, err
	}
	for i := 0; i < k && ctx.Err() == nil; i++ {
		if err := a.post(128); err != nil {
			fmt.Fprintln(os.Stderr, "answer:", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	all, got, err := p.latencies()
	slices.Sort(all)
	return latencies{all}, got, err
}

// throughput posts 128-byte messages (post: the node's answers or a
// Centrifugo publish) from 8 senders for d and counts what the n viewers
// receive until the flow stops.
func throughput(ctx context.Context, post func(size int) error, p pool, n int, d time.Duration) (sent, delivered int64, took time.Duration) {
	_ = p.simple("track", false)
	var posted atomic.Int64
	start := time.Now()
	stop := start.Add(d)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) && ctx.Err() == nil {
				if post(128) == nil {
					posted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	want := posted.Load() * int64(n)
	last, lastAt := int64(-1), time.Now()
	for ctx.Err() == nil {
		t := p.count()
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
	return posted.Load(), p.count(), lastAt.Sub(start)
}

// startWorkers starts the generator processes for up to most sockets
// (-workers, or one per -per-worker sockets, at least two) and adds them to
// meter; what it started is returned with any error, for the caller to stop.
func (c config) startWorkers(ctx context.Context, most int, meter *cpuMeter) (pool, error) {
	nw := c.workers
	if nw <= 0 {
		nw = max(2, (most+c.perWorker-1)/c.perWorker)
	}
	var workers pool
	for range nw {
		w, err := startWorker(ctx)
		if err != nil {
			return workers, err
		}
		workers = append(workers, w)
		meter.gen = append(meter.gen, w.cmd.Process.Pid)
	}
	return workers, nil
}

// stop ends every worker process.
func (p pool) stop() {
	for _, w := range p {
		w.stop()
	}
}
