package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
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

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/internal/localserver"
	"github.com/jackc/pgx/v5"
)

// Durable publish throughput (issue 15): how many chat lines per second
// one node stores and acknowledges. Each of -pub-sockets citizens opens a
// support conversation from a loopback address of its own and sends
// 128-byte lines over its socket with a client_id, each waiting for its
// ack, paced under the socket's frame limit (10/s, bursts of 30) and its
// address's line limit (120 a minute): the node's own limits, unchanged.
// -pub-rooms below -pub-sockets puts several citizens in one
// conversation (same-room contention).
//
// -bin may list several binaries (old,new): rounds alternate between
// them on one PostgreSQL, each on a fresh database, so an A/B shares the
// machine's state. After each round the database is checked: every
// acknowledged line stored once, with its acknowledged seq, and each
// room's seqs gapless.

type publishConfig struct {
	sockets, rooms int
	rounds         int
	phase          time.Duration
	durable        bool
}

// Pacing: a little under the node's per-socket frame limit.
const (
	pubRate  = 9.0 // lines per second per socket
	pubBurst = 25
)

func runPublish(ctx context.Context, bins []string, dir string, pc publishConfig) error {
	pg, err := localserver.StartPostgres(ctx, localserver.PostgresOptions{Dir: filepath.Join(dir, "pubpg"), Durable: pc.durable})
	if err != nil {
		return err
	}
	defer pg.Stop()
	fmt.Printf("publish: %d sockets in %d conversations, %v per round, %d rounds, PostgreSQL fsync %v\n",
		pc.sockets, pc.rooms, pc.phase, pc.rounds, pc.durable)
	for r := range pc.rounds {
		for bi, bin := range bins {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			res, err := publishRound(ctx, bin, dir, pg, fmt.Sprintf("pub_%d_%d", r, bi), pc)
			if err != nil {
				return fmt.Errorf("%s round %d: %w", bin, r+1, err)
			}
			fmt.Printf("round %d %-28s load %s: %s\n", r+1, bin, loadavg(), res)
		}
	}
	return nil
}

// publishRound serves bin on a fresh database, drives it for pc.phase and
// checks what was stored.
func publishRound(ctx context.Context, bin, dir string, pg *localserver.Postgres, dbName string, pc publishConfig) (string, error) {
	admin, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		return "", err
	}
	_, err = admin.Exec(ctx, "CREATE DATABASE "+dbName)
	_ = admin.Close(ctx)
	if err != nil {
		return "", err
	}
	port, err := localserver.FreePort()
	if err != nil {
		return "", err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	env := append(os.Environ(), "DATABASE_URL="+pg.URL(dbName), "HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"DISABLE_SIP=true", "LOG_LEVEL=warn", "DATA_DIR="+filepath.Join(dir, "data-"+dbName), "REDIS_URL=", "BASE_URL="+base)
	cmd := exec.CommandContext(ctx, bin, "migrate")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("migrate: %v\n%s", err, out)
	}
	srv := exec.Command(bin, "serve")
	srv.Env, srv.Stderr = env, os.Stderr
	srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := srv.Start(); err != nil {
		return "", err
	}
	defer func() { _ = srv.Process.Signal(syscall.SIGTERM); _ = srv.Wait() }()
	if err := waitUp(ctx, base); err != nil {
		return "", err
	}
	meter := &cpuMeter{nodePid: srv.Process.Pid, pgDir: filepath.Join(dir, "pubpg", "pg"), gen: []int{os.Getpid()}}

	ps, err := openPublishers(ctx, base, pc)
	if err != nil {
		return "", err
	}
	defer func() {
		for _, p := range ps {
			_ = p.ws.CloseNow()
		}
	}()
	meter.start()
	start := time.Now()
	stop := start.Add(pc.phase)
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() { defer wg.Done(); p.run(ctx, stop) }()
	}
	wg.Wait()
	took := time.Since(start)
	cpu := meter.report()

	var acked, failed int64
	var lat []time.Duration
	errs := map[string]int{}
	for _, p := range ps {
		acked += int64(len(p.acks))
		failed += p.failed
		lat = append(lat, p.lat...)
		for k, v := range p.errs {
			errs[k] += v
		}
	}
	slices.Sort(lat)
	check, err := checkStored(ctx, pg.URL(dbName), ps)
	if err != nil {
		return "", err
	}
	l := latencies{lat}
	return fmt.Sprintf("%d lines acked in %v: %.0f lines/s; send→ack p50 %v p99 %v max %v; %d refused %v; %s\n      %s",
		acked, took.Round(time.Millisecond), float64(acked)/took.Seconds(), l.p(0.5), l.p(0.99), l.p(1), failed, errs, check, cpu), nil
}

// publisher is one citizen's socket.
type publisher struct {
	ws     *websocket.Conn
	room   string
	name   string
	acks   []int64 // seq of each acked line, in send order
	ids    []string
	lat    []time.Duration
	failed int64
	errs   map[string]int
}

var clientSeq atomic.Int64

// openPublishers opens the conversations (one per address: the node opens
// 10 per address per 10 minutes) and their sockets.
func openPublishers(ctx context.Context, base string, pc publishConfig) ([]*publisher, error) {
	type conv struct{ token, room string }
	convs := make([]conv, pc.rooms)
	ps := make([]*publisher, pc.sockets)
	errs := make([]error, pc.sockets)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	client := func(g int) *http.Client {
		src := &net.TCPAddr{IP: net.IPv4(127, 1, byte(g/250), byte(2+g%250))}
		d := &net.Dialer{LocalAddr: src, Timeout: 10 * time.Second}
		return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 20 * time.Second}
	}
	for i := range convs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			body, _ := json.Marshal(map[string]any{"name": "Người thử tải " + strconv.Itoa(i), "topic": "đất đai", "consent": true})
			resp, err := client(i).Post(base+"/api/v1/conversations", "application/json", bytes.NewReader(body))
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			var out struct {
				Token, Room string
			}
			if resp.StatusCode != http.StatusCreated || json.Unmarshal(data, &out) != nil {
				errs[i] = fmt.Errorf("open conversation: %d %s", resp.StatusCode, data)
				return
			}
			convs[i] = conv{token: out.Token, room: out.Room}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	for i := range ps {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cv := convs[i%pc.rooms]
			dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(dctx, wsURL, &websocket.DialOptions{HTTPClient: client(i),
				HTTPHeader: http.Header{"X-Conversation-Token": {cv.token}}})
			if err != nil {
				errs[i] = err
				return
			}
			ws.SetReadLimit(1 << 16)
			p := &publisher{ws: ws, room: cv.room, name: "p" + strconv.Itoa(i), errs: map[string]int{}}
			if err := p.write(dctx, map[string]any{"type": "join", "room": cv.room, "since": 0}); err != nil {
				errs[i] = err
				return
			}
			for {
				f, err := p.read(dctx)
				if err != nil {
					errs[i] = fmt.Errorf("join %s: %w", cv.room, err)
					return
				}
				if f.Type == "joined" {
					break
				}
				if f.Type == "error" {
					errs[i] = fmt.Errorf("join %s: %s", cv.room, f.Code)
					return
				}
			}
			ps[i] = p
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return ps, nil
}

type pubFrame struct {
	Type       string `json:"type"`
	ClientID   string `json:"client_id"`
	Seq        int64  `json:"seq"`
	Code       string `json:"code"`
	RetryAfter int    `json:"retry_after"`
}

func (p *publisher) write(ctx context.Context, v any) error {
	data, _ := json.Marshal(v)
	return p.ws.Write(ctx, websocket.MessageText, data)
}

func (p *publisher) read(ctx context.Context) (pubFrame, error) {
	var f pubFrame
	_, data, err := p.ws.Read(ctx)
	if err == nil {
		err = json.Unmarshal(data, &f)
	}
	return f, err
}

// run sends lines until stop, one at a time, each after the last one's
// answer, paced by a token bucket under the node's per-socket limit.
func (p *publisher) run(ctx context.Context, stop time.Time) {
	tokens, at := float64(pubBurst), time.Now()
	body := strings.Repeat("x", 128)
	for ctx.Err() == nil {
		now := time.Now()
		tokens = min(pubBurst, tokens+now.Sub(at).Seconds()*pubRate)
		at = now
		if tokens < 1 {
			time.Sleep(time.Duration((1 - tokens) / pubRate * float64(time.Second)))
			continue
		}
		if !now.Before(stop) {
			return
		}
		tokens--
		id := p.name + "-" + strconv.FormatInt(clientSeq.Add(1), 10)
		sent := time.Now()
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := p.write(rctx, map[string]any{"type": "send", "room": p.room, "body": body, "client_id": id})
		for err == nil {
			var f pubFrame
			if f, err = p.read(rctx); err != nil || f.ClientID != id {
				continue // message frames of the room, including our own
			}
			switch f.Type {
			case "ack":
				p.acks, p.ids = append(p.acks, f.Seq), append(p.ids, id)
				p.lat = append(p.lat, time.Since(sent))
			case "error":
				p.failed++
				p.errs[f.Code]++
			default:
				continue
			}
			break
		}
		cancel()
		if err != nil {
			p.failed++
			p.errs["socket: "+err.Error()]++
			return
		}
	}
}

// checkStored compares what the node acknowledged with what PostgreSQL
// holds.
func checkStored(ctx context.Context, url string, ps []*publisher) (string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT m.room, m.seq, m.client_id, r.last_seq FROM chat_messages m JOIN chat_rooms r USING (room) WHERE m.client_id IS NOT NULL ORDER BY m.room, m.seq`)
	if err != nil {
		return "", err
	}
	type row struct {
		Room     string
		Seq      int64
		ClientID string
		LastSeq  int64
	}
	stored, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		return "", err
	}
	byID := map[string]row{}
	perRoom := map[string]int64{}
	gaps := 0
	for _, s := range stored {
		byID[s.ClientID] = s
		perRoom[s.Room]++
		if s.Seq != perRoom[s.Room] {
			gaps++
		}
	}
	for _, s := range stored {
		if perRoom[s.Room] != s.LastSeq {
			gaps++
		}
	}
	lost, wrong, disorder := 0, 0, 0
	for _, p := range ps {
		for i, id := range p.ids {
			s, ok := byID[id]
			switch {
			case !ok:
				lost++
			case s.Seq != p.acks[i] || s.Room != p.room:
				wrong++
			}
			if i > 0 && p.acks[i] <= p.acks[i-1] {
				disorder++
			}
		}
	}
	return fmt.Sprintf("stored %d: acked but lost %d, stored under another seq %d, out of order %d, gaps %d",
		len(stored), lost, wrong, disorder, gaps), nil
}
