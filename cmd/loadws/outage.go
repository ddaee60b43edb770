package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/cmd/internal/percentile"
	"github.com/doithoai/doithoai/internal/localserver"
)

// The redis-outage mode: two nodes sharing PostgreSQL and Redis, a viewer
// of a live session on each, a leader answering on node A every -every.
// Redis is stopped for -outage and started again; for every answer the
// mode records when each viewer got it, and reports per phase (before,
// during, after the outage) the cross-node delay — arrival on node B minus
// arrival on node A, so the HTTP post and the commit cancel out — and the
// post-to-B latency, with answers lost or doubled.
//
//	go run ./cmd/loadws -bin bin/doithoai -mode redis-outage

type outageConfig struct {
	phase time.Duration // length of the before and after phases
	down  time.Duration // how long Redis is down
	every time.Duration // one answer per every
}

// arrivals is one viewer's record: answer send time (ns) → arrival (ns),
// and how many times each came.
type arrivals struct {
	mu    sync.Mutex
	at    map[int64]int64
	times map[int64]int
}

func runOutage(ctx context.Context, bin, dir string, pg *localserver.Postgres, oc outageConfig) error {
	rs, err := localserver.StartRedis(ctx, filepath.Join(dir, "redis"), 0)
	if err != nil {
		return err
	}
	redisPort := rs.Port
	defer func() { rs.Stop() }()
	var bases []string
	for i := range 2 {
		port, err := localserver.FreePort()
		if err != nil {
			return err
		}
		mport, err := localserver.FreePort()
		if err != nil {
			return err
		}
		base := "http://127.0.0.1:" + strconv.Itoa(port)
		env := append(os.Environ(), "DATABASE_URL="+pg.URL("postgres"), "HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port),
			"DISABLE_SIP=true", "LOG_LEVEL=warn", "DATA_DIR="+filepath.Join(dir, fmt.Sprint("data", i)), "REDIS_URL="+rs.URL(), "BASE_URL="+base,
			"METRICS_ADDR=127.0.0.1:"+strconv.Itoa(mport))
		if i == 0 {
			if err := prepareNode(ctx, bin, env); err != nil {
				return err
			}
		}
		srv := exec.Command(bin, "serve")
		srv.Env, srv.Stderr = env, os.Stderr
		srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
		if err := srv.Start(); err != nil {
			return err
		}
		defer func() { _ = srv.Process.Signal(syscall.SIGTERM); _ = srv.Wait() }()
		if err := waitUp(ctx, base); err != nil {
			return err
		}
		bases = append(bases, base)
	}
	room, sessionID, err := setupSession(bases[0])
	if err != nil {
		return err
	}
	leader, err := login(bases[0], "leader")
	if err != nil {
		return err
	}
	qid, err := approvedQuestion(bases[0], sessionID)
	if err != nil {
		return err
	}
	a := &answerer{base: bases[0], token: leader, session: sessionID, question: qid}
	views := make([]*arrivals, 2)
	for i, base := range bases {
		views[i] = &arrivals{at: map[int64]int64{}, times: map[int64]int{}}
		ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
		if err != nil {
			return err
		}
		defer ws.CloseNow()
		ws.SetReadLimit(1 << 20)
		if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"join","room":"`+room+`","since":0}`)); err != nil {
			return err
		}
		go views[i].read(ws)
	}
	time.Sleep(time.Second) // both joined and subscribed before the first answer

	type phase struct {
		name  string
		sent  []int64
		until time.Duration
	}
	phases := []*phase{{name: "before", until: oc.phase}, {name: "during", until: oc.down}, {name: "after", until: oc.phase}}
	for i, ph := range phases {
		switch i {
		case 1:
			rs.Stop()
			fmt.Printf("outage: Redis stopped at %s\n", time.Now().UTC().Format("15:04:05.000"))
		case 2:
			if rs, err = localserver.StartRedis(ctx, filepath.Join(dir, "redis"), redisPort); err != nil {
				return err
			}
			fmt.Printf("outage: Redis started at %s\n", time.Now().UTC().Format("15:04:05.000"))
		}
		for end := time.Now().Add(ph.until); time.Now().Before(end) && ctx.Err() == nil; time.Sleep(oc.every) {
			sent := time.Now().UnixNano()
			if err := a.postAt(sent, 128); err != nil {
				fmt.Fprintln(os.Stderr, "answer:", err)
				continue
			}
			ph.sent = append(ph.sent, sent)
		}
	}
	time.Sleep(3 * time.Second) // the last answers arrive (or are counted lost)
	for _, ph := range phases {
		var cross, toB []time.Duration
		lost, doubled := 0, 0
		for _, s := range ph.sent {
			atA, okA := views[0].get(s)
			atB, okB := views[1].get(s)
			if !okA || !okB {
				lost++
				continue
			}
			if views[0].count(s) > 1 || views[1].count(s) > 1 {
				doubled++
			}
			cross = append(cross, time.Duration(max(0, atB-atA)))
			toB = append(toB, time.Duration(atB-s))
		}
		slices.Sort(cross)
		slices.Sort(toB)
		r := func(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
		fmt.Printf("%-6s %4d answers: cross-node (B after A) p50 %v p99 %v max %v; post→B p50 %v p99 %v max %v; lost %d, doubled %d\n",
			ph.name, len(ph.sent), r(percentile.Sorted(cross, 50)), r(percentile.Sorted(cross, 99)), r(percentile.Sorted(cross, 100)),
			r(percentile.Sorted(toB, 50)), r(percentile.Sorted(toB, 99)), r(percentile.Sorted(toB, 100)), lost, doubled)
	}
	return nil
}

// postAt is post with the given send time in the body.
func (a *answerer) postAt(sent int64, size int) error {
	body := "t=" + strconv.FormatInt(sent, 10) + " "
	body += strings.Repeat("x", max(1, size-len(body)))
	return call("POST", fmt.Sprintf("%s/api/v1/live-sessions/%d/answers", a.base, a.session), a.token,
		map[string]any{"question_id": a.question, "body": body}, nil)
}

func (v *arrivals) read(ws *websocket.Conn) {
	for {
		_, data, err := ws.Read(context.Background())
		if err != nil {
			return
		}
		now := time.Now().UnixNano()
		var f struct{ Type, Body string }
		if json.Unmarshal(data, &f) != nil || f.Type != "message" {
			continue
		}
		rest, ok := strings.CutPrefix(f.Body, "t=")
		if !ok {
			continue
		}
		ts, _, _ := strings.Cut(rest, " ")
		sent, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			continue
		}
		v.mu.Lock()
		if _, seen := v.at[sent]; !seen {
			v.at[sent] = now
		}
		v.times[sent]++
		v.mu.Unlock()
	}
}

func (v *arrivals) get(sent int64) (int64, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	at, ok := v.at[sent]
	return at, ok
}

func (v *arrivals) count(sent int64) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.times[sent]
}
