package main

// Fan-out against Centrifugo (issue 15): the same subscribers, the same
// 128-byte messages from the same 8 closed-loop senders, counted by the
// same worker loop, against this node and against a Centrifugo the tool
// starts itself on loopback. Only the join differs (the two dialects) and
// where a message is published: the node's answers API, Centrifugo's
// HTTP API. Each phase gets a fresh server process, so that its memory
// per subscriber is measured from its own idle state; targets alternate
// (node, Centrifugo, node, Centrifugo) for every subscriber count.
//
//	go run ./cmd/loadws -bin /tmp/doithoai -centrifugo /tmp/centrifugo-bin/centrifugo -subs 1000,5000,10000 -gc-wait 0

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/doithoai/doithoai/internal/localserver"
)

type versusConfig struct {
	centrifugo string // Centrifugo's binary
	rounds     int
}

// centrifugoJoin is the first frame a Centrifugo subscriber sends: connect
// (anonymous, the server runs with client.insecure) and subscribe, two
// commands of the JSON protocol in one frame, one per line.
func centrifugoJoin(channel string) []byte {
	return []byte(`{"id":1,"connect":{}}` + "\n" + `{"id":2,"subscribe":{"channel":"` + channel + `"}}`)
}

// isPing is a Centrifugo server ping in the JSON protocol: an empty
// object, which the client answers with one.
func isPing(frame []byte) bool {
	return len(frame) == 2 && frame[0] == '{' && frame[1] == '}'
}

// countDeliveries counts the messages of this test in one frame. The node
// sends one per frame; Centrifugo joins the pushes queued for a client into
// one frame, one per line, so every occurrence counts.
func countDeliveries(frame []byte) int {
	return bytes.Count(frame, tsKey)
}

// fanTarget is one server under test, running.
type fanTarget struct {
	name, base, ws, room, dialect string
	metrics                       string // base URL of its /metrics
	cmd                           *exec.Cmd
	post                          func(size int) error
	held                          func() int
}

func (t *fanTarget) stop() {
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = t.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = t.cmd.Process.Kill()
		<-done
	}
}

type versusRow struct {
	target             string
	n, held, heldAfter int
	sent, delivered    int64
	took               time.Duration
	mem                memory  // after opening minus idle
	rss                float64 // resident set after opening, bytes
	load               string
	cpu                string
}

func (r versusRow) rate() float64 { return float64(r.delivered) / r.took.Seconds() }

func runVersus(ctx context.Context, c config, dir string, pg *localserver.Postgres, vc versusConfig) error {
	port, err := localserver.FreePort()
	if err != nil {
		return err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	mport, err := localserver.FreePort()
	if err != nil {
		return err
	}
	mbase := "http://127.0.0.1:" + strconv.Itoa(mport)
	env := append(os.Environ(), "METRICS_ADDR=127.0.0.1:"+strconv.Itoa(mport), "DATABASE_URL="+pg.URL("postgres"), "HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"DISABLE_SIP=true", "LOG_LEVEL=warn", "DATA_DIR="+filepath.Join(dir, "data"), "REDIS_URL=", "BASE_URL="+base)
	env = append(env, c.nodeEnv...)
	if err := prepareNode(ctx, c.bin, env); err != nil {
		return err
	}
	var room string
	var a *answerer
	startNode := func() (*fanTarget, error) {
		srv := exec.Command(c.bin, "serve")
		srv.Env, srv.Stderr = env, os.Stderr
		srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
		if err := srv.Start(); err != nil {
			return nil, err
		}
		t := &fanTarget{name: "doithoai", base: base, metrics: mbase, ws: "ws://127.0.0.1:" + strconv.Itoa(port) + "/ws", cmd: srv}
		if err := waitUp(ctx, base); err != nil {
			t.stop()
			return nil, err
		}
		if a == nil { // one live session and question for every phase
			r, session, err := setupSession(base)
			if err == nil {
				var leader string
				var qids []int64
				if leader, err = login(base, "leader"); err == nil {
					qids, err = approvedQuestions(base, session, answerQuestions)
				}
				room, a = r, &answerer{base: base, token: leader, session: session, questions: qids}
			}
			if err != nil {
				t.stop()
				return nil, err
			}
		}
		t.room, t.post = room, a.post
		t.held = func() int { return int(metrics(mbase)["doithoai_livechat_connections"]) }
		return t, nil
	}
	startCentrifugo := func() (*fanTarget, error) { return startCentrifugo(ctx, vc.centrifugo, dir) }

	most := 1
	for _, n := range c.subs {
		most = max(most, n)
	}
	meter := &cpuMeter{pgDir: filepath.Join(dir, "pg", "pg"), gen: []int{os.Getpid()}}
	workers, err := c.startWorkers(ctx, most, meter)
	defer workers.stop()
	if err != nil {
		return err
	}
	var rows []versusRow
	for round := range max(1, vc.rounds) {
		for _, n := range c.subs {
			for _, start := range []func() (*fanTarget, error){startNode, startCentrifugo} {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				t, err := start()
				if err != nil {
					return err
				}
				row, err := versusPhase(ctx, c, t, workers, meter, n)
				t.stop()
				if err != nil {
					return err
				}
				fmt.Printf("round %d %-10s %6d subscribers (%d held, %d after): %d sent, %d delivered in %v: %.0f msg/s; per subscriber %s, RSS ÷ subscribers %.1f KB; load %s\n      %s\n",
					round+1, t.name, n, row.held, row.heldAfter, row.sent, row.delivered, row.took.Round(time.Millisecond), row.rate(), row.mem.per(row.held), row.rss/1024/float64(max(1, row.held)), row.load, row.cpu)
				rows = append(rows, row)
			}
		}
	}
	printVersus(rows, c.subs)
	return nil
}

// versusPhase opens n subscribers on a fresh target, reads its memory,
// runs the throughput phase and closes them.
func versusPhase(ctx context.Context, c config, t *fanTarget, workers pool, meter *cpuMeter, n int) (versusRow, error) {
	row := versusRow{target: t.name, n: n}
	pid := t.cmd.Process.Pid
	time.Sleep(3 * time.Second) // past the start-up's garbage
	idle := memoryAfterGC(t.metrics, pid, c.gcWait)
	opened, failed, firstErr, err := workers.openDialect(t.ws, t.room, n, t.dialect)
	if err != nil {
		return row, err
	}
	if failed > 0 {
		fmt.Printf("open   %6d subscribers on %s: %d connected, %d failed (%s)\n", n, t.name, opened, failed, firstErr)
	}
	time.Sleep(2 * time.Second) // the subscriptions land, the joins' garbage
	mem := memoryAfterGC(t.metrics, pid, c.gcWait)
	row.held = t.held()
	row.mem, row.rss = mem.sub(idle), mem.rss
	meter.nodePid = pid
	meter.start()
	row.load = loadavg()
	row.sent, row.delivered, row.took = throughput(ctx, t.post, workers, opened, c.throughput)
	row.cpu = meter.report()
	row.heldAfter = t.held()
	return row, workers.simple("close", false)
}

// startCentrifugo starts Centrifugo on a free loopback port with a
// generated configuration: anonymous clients may connect and subscribe to
// any channel, the HTTP API wants a key generated here, Prometheus metrics
// on the same port (for its heap and stacks).
func startCentrifugo(ctx context.Context, bin, dir string) (*fanTarget, error) {
	port, err := localserver.FreePort()
	if err != nil {
		return nil, err
	}
	var k [16]byte
	_, _ = rand.Read(k[:])
	key := hex.EncodeToString(k[:])
	cfg := map[string]any{
		"http_server": map[string]any{"address": "127.0.0.1", "port": port},
		"log":         map[string]any{"level": "error"},
		"client":      map[string]any{"insecure": true},
		"http_api":    map[string]any{"key": key},
		"prometheus":  map[string]any{"enabled": true},
		"health":      map[string]any{"enabled": true},
		"channel": map[string]any{"without_namespace": map[string]any{
			"allow_subscribe_for_anonymous": true, "allow_subscribe_for_client": true}},
	}
	data, _ := json.Marshal(cfg)
	path := filepath.Join(dir, "centrifugo.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config", path)
	cmd.Stderr, cmd.Dir = os.Stderr, dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	const channel = "loadws"
	t := &fanTarget{name: "centrifugo", base: base, metrics: base, ws: "ws://127.0.0.1:" + strconv.Itoa(port) + "/connection/websocket",
		room: channel, dialect: "centrifugo", cmd: cmd}
	t.post = func(size int) error {
		body := "t=" + strconv.FormatInt(time.Now().UnixNano(), 10) + " "
		body += strings.Repeat("x", max(1, size-len(body)))
		var out struct {
			Error *struct{ Message string } `json:"error"`
		}
		if err := centrifugoAPI(base, key, "publish", map[string]any{"channel": channel, "data": map[string]string{"body": body}}, &out); err != nil {
			return err
		}
		if out.Error != nil {
			return fmt.Errorf("centrifugo publish: %s", out.Error.Message)
		}
		return nil
	}
	t.held = func() int {
		var out struct {
			Result struct {
				Channels map[string]struct {
					NumClients int `json:"num_clients"`
				} `json:"channels"`
			} `json:"result"`
		}
		if centrifugoAPI(base, key, "channels", map[string]any{}, &out) != nil {
			return 0
		}
		return out.Result.Channels[channel].NumClients
	}
	for {
		if resp, err := http.Get(base + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return t, nil
			}
		}
		select {
		case <-ctx.Done():
			t.stop()
			return nil, fmt.Errorf("centrifugo did not come up on %s", base)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// centrifugoAPI calls one method of Centrifugo's HTTP API, through the
// same default HTTP client the node's answers go through.
func centrifugoAPI(base, key, method string, in, out any) error {
	data, _ := json.Marshal(in)
	req, _ := http.NewRequest("POST", base+"/api/"+method, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ = io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("centrifugo %s: %d %s", method, resp.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}

// printVersus prints the pasteable table: per subscriber count, each
// target's delivered msg/s and memory per subscriber (mean of the rounds)
// and the node's ratios to Centrifugo.
func printVersus(rows []versusRow, subs []int) {
	type agg struct {
		rates      []float64
		rss, heap  float64
		k, lostSum int
	}
	get := func(target string, n int) agg {
		var a agg
		for _, r := range rows {
			if r.target == target && r.n == n && r.held > 0 {
				a.rates = append(a.rates, r.rate())
				a.rss += r.rss / float64(r.held)
				a.heap += (r.mem.heap + r.mem.stacks) / float64(r.held)
				a.k++
				a.lostSum += r.held - r.heldAfter
			}
		}
		if a.k > 0 {
			a.rss /= float64(a.k)
			a.heap /= float64(a.k)
		}
		return a
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(max(1, len(v)))
	}
	rates := func(v []float64) string {
		var p []string
		for _, x := range v {
			p = append(p, fmt.Sprintf("%.0f", x))
		}
		return strings.Join(p, " · ")
	}
	fmt.Println()
	fmt.Println("| subscribers | doithoai msg/s | centrifugo msg/s | ratio | doithoai RSS ÷ subs / heap+stacks per sub | centrifugo RSS ÷ subs / heap+stacks per sub | RSS ratio | dropped during phase (d / c) |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, n := range subs {
		d, c := get("doithoai", n), get("centrifugo", n)
		ratio, rssRatio := 0.0, 0.0
		if mean(c.rates) > 0 {
			ratio = mean(d.rates) / mean(c.rates)
		}
		if c.rss > 0 {
			rssRatio = d.rss / c.rss
		}
		fmt.Printf("| %d | %s | %s | %.2fx | %.1f / %.1f KB | %.1f / %.1f KB | %.2fx | %d / %d |\n", n, rates(d.rates), rates(c.rates), ratio,
			d.rss/1024, d.heap/1024, c.rss/1024, c.heap/1024, rssRatio, d.lostSum, c.lostSum)
	}
}
