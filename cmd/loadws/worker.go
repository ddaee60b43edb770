package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// The viewers live in worker processes (this program run with -worker),
// each with its own share of the sockets: one process may hold no more
// sockets than its open-file limit, and the node needs as many on its
// side. The coordinator drives the workers with one JSON request per line
// on their stdin and reads one JSON answer per line from their stdout.

type request struct {
	Op    string `json:"op"` // open, track, count, lat, close
	URL   string `json:"url,omitempty"`
	Room  string `json:"room,omitempty"`
	N     int    `json:"n,omitempty"`
	First int    `json:"first,omitempty"` // global index of the first viewer: its source address
	Track bool   `json:"track,omitempty"`
	// Dialect is how a viewer joins: "" for the node's join, "centrifugo"
	// for Centrifugo's connect and subscribe (centrifugo.go).
	Dialect string `json:"dialect,omitempty"`
}

type answer struct {
	Opened int     `json:"opened,omitempty"`
	Failed int     `json:"failed,omitempty"`
	Err    string  `json:"err,omitempty"`
	Got    int64   `json:"got,omitempty"`
	Lat    []int64 `json:"lat,omitempty"` // microseconds
}

// worker is the coordinator's handle on one worker process.
type worker struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	mu  sync.Mutex
}

func startWorker(ctx context.Context) (*worker, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-worker")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &worker{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}, nil
}

func (w *worker) call(r request) (answer, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	data, _ := json.Marshal(r)
	if _, err := w.in.Write(append(data, '\n')); err != nil {
		return answer{}, err
	}
	line, err := w.out.ReadBytes('\n')
	if err != nil {
		return answer{}, fmt.Errorf("worker %d: %w", w.cmd.Process.Pid, err)
	}
	var a answer
	err = json.Unmarshal(line, &a)
	return a, err
}

func (w *worker) stop() {
	_ = w.in.Close()
	done := make(chan struct{})
	go func() { _ = w.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = w.cmd.Process.Kill()
		<-done
	}
}

// pool is every worker; calls go to all of them at once.
type pool []*worker

func (p pool) each(f func(i int, w *worker) (answer, error)) ([]answer, error) {
	out := make([]answer, len(p))
	errs := make([]error, len(p))
	var wg sync.WaitGroup
	for i, w := range p {
		wg.Add(1)
		go func() { defer wg.Done(); out[i], errs[i] = f(i, w) }()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// open connects n viewers to room, shared among the workers, and says how
// many joined.
func (p pool) open(url, room string, n int) (opened, failed int, firstErr string, err error) {
	return p.openDialect(url, room, n, "")
}

// openDialect is open for the node ("") or for Centrifugo ("centrifugo").
func (p pool) openDialect(url, room string, n int, dialect string) (opened, failed int, firstErr string, err error) {
	share := (n + len(p) - 1) / len(p)
	as, err := p.each(func(i int, w *worker) (answer, error) {
		first := i * share
		k := min(share, n-first)
		if k <= 0 {
			return answer{}, nil
		}
		return w.call(request{Op: "open", URL: url, Room: room, N: k, First: first, Dialect: dialect})
	})
	for _, a := range as {
		opened += a.Opened
		failed += a.Failed
		if firstErr == "" {
			firstErr = a.Err
		}
	}
	return opened, failed, firstErr, err
}

func (p pool) simple(op string, track bool) error {
	_, err := p.each(func(_ int, w *worker) (answer, error) { return w.call(request{Op: op, Track: track}) })
	return err
}

func (p pool) count() int64 {
	as, _ := p.each(func(_ int, w *worker) (answer, error) { return w.call(request{Op: "count"}) })
	var t int64
	for _, a := range as {
		t += a.Got
	}
	return t
}

func (p pool) latencies() (lat []time.Duration, got int64, err error) {
	as, err := p.each(func(_ int, w *worker) (answer, error) { return w.call(request{Op: "lat"}) })
	for _, a := range as {
		got += a.Got
		for _, us := range a.Lat {
			lat = append(lat, time.Duration(us)*time.Microsecond)
		}
	}
	return lat, got, err
}

// runWorker serves the coordinator's requests until stdin closes.
func runWorker() error {
	raiseNoFile(0)
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<16), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	var vs []*viewer
	defer func() { closeAll(vs) }()
	for in.Scan() {
		var r request
		var a answer
		if err := json.Unmarshal(in.Bytes(), &r); err != nil {
			a.Err = err.Error()
		}
		switch r.Op {
		case "open":
			var got []*viewer
			got, a.Failed, a.Err = openViewers(r.URL, r.Room, r.First, r.N, r.Dialect)
			a.Opened = len(got)
			vs = append(vs, got...)
		case "track":
			for _, v := range vs {
				v.got.Store(0)
				v.mu.Lock()
				v.lat = v.lat[:0]
				v.mu.Unlock()
				v.track.Store(r.Track)
			}
		case "count":
			for _, v := range vs {
				a.Got += v.got.Load()
			}
		case "lat":
			for _, v := range vs {
				v.track.Store(false)
				v.mu.Lock()
				a.Lat = append(a.Lat, v.lat...)
				v.mu.Unlock()
				a.Got += v.got.Load()
			}
		case "close":
			closeAll(vs)
			vs = nil
		}
		data, _ := json.Marshal(a)
		_, _ = out.Write(append(data, '\n'))
		if err := out.Flush(); err != nil {
			return err
		}
	}
	return in.Err()
}

// viewer is one socket reading a live room; it counts answers and keeps
// their latency.
type viewer struct {
	ws    *websocket.Conn
	got   atomic.Int64
	track atomic.Bool
	mu    sync.Mutex
	lat   []int64 // microseconds from the answer's post to its arrival here
}

var tsKey = []byte(`"body":"t=`)

// read reads frames into one buffer of its own, so that counting costs the
// generator as little as it can.
func (v *viewer) read() {
	buf := make([]byte, 0, 1024)
	for {
		_, r, err := v.ws.Reader(context.Background())
		if err != nil {
			return
		}
		buf = buf[:0]
		for {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
		}
		now := time.Now().UnixNano()
		if isPing(buf) {
			_ = v.ws.Write(context.Background(), websocket.MessageText, buf)
			continue
		}
		n := countDeliveries(buf)
		if n == 0 {
			continue
		}
		v.got.Add(int64(n))
		i := bytes.Index(buf, tsKey)
		if !v.track.Load() {
			continue
		}
		rest := buf[i+len(tsKey):]
		if j := bytes.IndexByte(rest, ' '); j > 0 {
			if ns, err := strconv.ParseInt(string(rest[:j]), 10, 64); err == nil {
				v.mu.Lock()
				v.lat = append(v.lat, (now-ns)/1000)
				v.mu.Unlock()
			}
		}
	}
}

// openViewers connects n sockets that join room, 400 per loopback source
// address (the node allows 500), and waits until every one has joined.
func openViewers(url, room string, first, n int, dialect string) (vs []*viewer, failed int, firstErr string) {
	join := []byte(`{"type":"join","room":"` + room + `","since":1000000000}`)
	if dialect == "centrifugo" {
		join = centrifugoJoin(room)
	}
	out := make([]*viewer, n)
	var wg sync.WaitGroup
	var nfail atomic.Int64
	var errOnce sync.Once
	sem := make(chan struct{}, 64)
	for i := range out {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			g := first + i
			src := &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+g/400/250), byte(2+g/400%250))}
			d := &net.Dialer{LocalAddr: src, Timeout: 10 * time.Second}
			hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: hc})
			if err == nil {
				ws.SetReadLimit(1 << 16)
				if err = ws.Write(ctx, websocket.MessageText, join); err != nil {
					_ = ws.CloseNow()
				}
			}
			if err != nil {
				nfail.Add(1)
				errOnce.Do(func() { firstErr = err.Error() })
				return
			}
			v := &viewer{ws: ws}
			out[i] = v
			go v.read()
		}()
	}
	wg.Wait()
	for _, v := range out {
		if v != nil {
			vs = append(vs, v)
		}
	}
	time.Sleep(time.Second) // joins land
	return vs, int(nfail.Load()), strings.TrimSpace(firstErr)
}

func closeAll(vs []*viewer) {
	for _, v := range vs {
		_ = v.ws.CloseNow()
	}
}
