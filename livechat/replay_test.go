package livechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/internal/broker"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/jackc/pgx/v5/pgxpool"
)

// MustFillRoom stores n messages of about size bytes each in room straight
// in PostgreSQL (far faster than n sends), as a long session leaves them.
func MustFillRoom(t *testing.T, pool *pgxpool.Pool, room string, n, size int) {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO chat_messages (room, seq, kind, body, author, author_role, sender)
		SELECT $1, g, 'question', 'câu hỏi ' || g || ' ' || repeat('x', $3), 'Người xem', 'citizen', 'test'
		FROM generate_series(1, $2::bigint) g`, room, n, size); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE chat_rooms SET last_seq = $2 WHERE room = $1`, room, n); err != nil {
		t.Fatal(err)
	}
}

// dialFrom opens a socket to n from the loopback address ip, so that tests
// can play many clients behind one address, or several addresses.
func dialFrom(ctx context.Context, n *testNode, ip string) (*websocket.Conn, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(n.url, "http")+"/ws", &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	return ws, nil
}

// rejoinFlood is the attacker: one socket (re-dialled whenever the server
// closes it) that joins room with since 0 over and over until ctx ends,
// adding every byte it receives to got, and those of message frames (the
// replayed history) to history too.
func rejoinFlood(ctx context.Context, n *testNode, ip, room string, got, history *atomic.Int64) {
	join := []byte(`{"type":"join","room":"` + room + `","since":0}`)
	for ctx.Err() == nil {
		ws, err := dialFrom(ctx, n, ip)
		if err != nil {
			continue
		}
		for ctx.Err() == nil {
			if ws.Write(ctx, websocket.MessageText, join) != nil {
				break
			}
			var data []byte
			for err == nil && !terminalFrame(data) {
				_, data, err = ws.Read(ctx)
				got.Add(int64(len(data)))
				if bytes.HasPrefix(data, []byte(`{"type":"message"`)) {
					history.Add(int64(len(data)))
				}
			}
			if err != nil {
				break
			}
		}
		_ = ws.CloseNow()
	}
}

// terminalFrame reports whether a frame ends the server's answer to a join.
func terminalFrame(data []byte) bool {
	for _, t := range []string{`{"type":"joined"`, `{"type":"history"`, `{"type":"error"`} {
		if bytes.HasPrefix(data, []byte(t)) {
			return true
		}
	}
	return false
}

// The attack of issue 9 item 13: twenty anonymous sockets from one
// address re-join a live room with a long history with since 0, again and
// again. What they pull is bounded (the original code replayed the whole
// history every time: hundreds of MB in seconds); meanwhile a viewer from
// another address resumes after seq 100 and gets every later message once,
// in order, page after page, then live ones.
//
// Not parallel: the flood would starve the package's other tests of the
// machine's cores.
func TestRejoinFloodIsBounded(t *testing.T) {
	pool := testenv.NewDB(t)
	prefix := testenv.RedisPrefix(t)
	b, rds := MustRedisBroker(t, testenv.RedisURL(t), prefix)
	n := MustStartTestNode(t, pool, b, rds, Options{RedisPrefix: prefix})
	room := MustLiveRoom(t, pool)
	const stored = 3000
	MustFillRoom(t, pool, room, stored, 1000) // ≈3.4 MB of frames

	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	var got, history atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() { defer wg.Done(); rejoinFlood(ctx, n, "127.0.0.1", room, &got, &history) }()
	}

	// The honest viewer resumes after 100, drops the connection half way
	// and resumes again with the last seq it saw.
	v := &pagedViewer{t: t, n: n, ip: "127.0.0.2", room: room, last: 100}
	v.catchUp(stored/2, 90*time.Second)
	v.catchUp(stored, 90*time.Second)
	wg.Wait()
	// A line stored now comes live, right after the history.
	MustStore(t, n, room, "live")
	v.next(stored+1, 30*time.Second)

	// The default replay budget of one address is 16 MB a minute.
	const bound = 17 << 20
	t.Logf("20 re-joining sockets received %.1f MB of history (%.1f MB in all) in 10 s",
		float64(history.Load())/(1<<20), float64(got.Load())/(1<<20))
	if history.Load() > bound {
		t.Fatalf("20 re-joining sockets from one address received %d bytes of history in 10 s; want at most %d", history.Load(), bound)
	}
}

// pagedViewer is an honest client of the paged history: it joins with the
// last seq it saw, and joins again from there whenever a page ends with
// more to come, until the server says joined.
type pagedViewer struct {
	t    *testing.T
	n    *testNode
	ip   string
	room string
	ws   *websocket.Conn
	last int64 // the last seq received
}

// catchUp (re)connects and reads messages until seq upTo has arrived, then
// drops the connection if upTo is before the end (a reconnect follows) or
// waits for joined.
func (v *pagedViewer) catchUp(upTo int64, timeout time.Duration) {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if v.ws != nil {
		_ = v.ws.CloseNow()
	}
	ws, err := dialFrom(ctx, v.n, v.ip)
	if err != nil {
		v.t.Fatalf("viewer dial: %v", err)
	}
	v.ws = ws
	v.t.Cleanup(func() { _ = ws.CloseNow() })
	v.join(ctx)
	for v.last < upTo {
		f := v.read(ctx)
		switch f.Type {
		case "history":
			v.join(ctx)
		case "joined":
			if f.Seq < upTo {
				v.t.Fatalf("joined at %d before seq %d arrived", f.Seq, upTo)
			}
		case "error":
			if f.Code != "rate_limited" {
				v.t.Fatalf("viewer got error %s", f.Code)
			}
			select { // the client's back-off, as the protocol asks
			case <-time.After(time.Duration(f.RetryAfter) * time.Second):
			case <-ctx.Done():
				v.t.Fatalf("viewer: %v", ctx.Err())
			}
			v.join(ctx)
		}
	}
}

// next waits for seq want as the next message.
func (v *pagedViewer) next(want int64, timeout time.Duration) {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for v.last < want {
		v.read(ctx)
	}
}

func (v *pagedViewer) join(ctx context.Context) {
	v.t.Helper()
	data, _ := json.Marshal(map[string]any{"type": "join", "room": v.room, "since": v.last})
	if err := v.ws.Write(ctx, websocket.MessageText, data); err != nil {
		v.t.Fatalf("viewer join: %v", err)
	}
}

// read returns the next frame, checking that messages arrive one seq
// after the other: no gap, no duplicate.
func (v *pagedViewer) read(ctx context.Context) frame {
	v.t.Helper()
	_, data, err := v.ws.Read(ctx)
	if err != nil {
		v.t.Fatalf("viewer after seq %d: %v", v.last, err)
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		v.t.Fatalf("viewer: %v", err)
	}
	if f.Type == "message" && f.Room == v.room {
		if f.Seq != v.last+1 {
			v.t.Fatalf("viewer got seq %d after %d (gap or duplicate)", f.Seq, v.last)
		}
		if want := fmt.Sprint("câu hỏi ", f.Seq, " "); f.Seq <= 3000 && !strings.HasPrefix(f.Body, want) {
			v.t.Fatalf("seq %d carries %.20q", f.Seq, f.Body)
		}
		v.last = f.Seq
	}
	return f
}

// A join replays one page: 200 messages or 256 KB, whichever comes first,
// then history/more; the next page comes with a join from the last seq,
// and the last page ends with joined. The socket is not in the room
// between pages.
func TestHistoryIsPaged(t *testing.T) {
	t.Parallel()
	pool := testenv.NewDB(t)
	n := MustStartTestNode(t, pool, broker.NewMemory(), nil, Options{})
	small, big := MustLiveRoom(t, pool), MustLiveRoom(t, pool)
	MustFillRoom(t, pool, small, 450, 10)
	MustFillRoom(t, pool, big, 100, 4000)

	c := MustDial(t, n, nil)
	for _, p := range []struct{ since, last int64 }{{0, 200}, {200, 400}} {
		c.send(map[string]any{"type": "join", "room": small, "since": p.since})
		c.messages(small, p.since, int(p.last-p.since), 10*time.Second)
		end := c.waitFor("end of the page", 5*time.Second, func(f frame) bool { return f.Room == small && f.Type != "message" })
		if end.Type != "history" || end.Seq != p.last || !end.More {
			t.Fatalf("after seq %d: %+v, want history at %d with more", p.last, end, p.last)
		}
	}
	// Between pages the socket is not in the room: nothing live arrives.
	MustStore(t, n, small, "live 451")
	c.send(map[string]any{"type": "join", "room": small, "since": 400})
	got := c.messages(small, 400, 51, 10*time.Second)
	if got[50].Body != "live 451" {
		t.Fatalf("seq 451 is %q", got[50].Body)
	}
	if j := c.waitFor("joined", 5*time.Second, func(f frame) bool { return f.Room == small && f.Type != "message" }); j.Type != "joined" || j.Seq != 451 {
		t.Fatalf("last page ended with %+v, want joined at 451", j)
	}
	MustStore(t, n, small, "live 452")
	c.messages(small, 451, 1, 5*time.Second)

	// Long messages: the page ends at 256 KB.
	c.send(map[string]any{"type": "join", "room": big, "since": 0})
	size, count := 0, 0
	for {
		f := c.waitFor("a page of "+big, 10*time.Second, func(f frame) bool { return f.Room == big })
		if f.Type != "message" {
			if f.Type != "history" || f.Seq != int64(count) {
				t.Fatalf("the page of long messages ended with %+v after %d messages", f, count)
			}
			break
		}
		count++
		size += len(f.Body)
	}
	if count == 100 || size > 256<<10 {
		t.Fatalf("one page carried %d messages, %d bytes of bodies; want at most 256 KB", count, size)
	}
}

// One socket that joins over and over gets rate_limited with a
// retry_after after its burst; frames other than joins still pass; and
// joining on without waiting retry_after closes it (1008).
func TestJoinFloodOnOneSocket(t *testing.T) {
	t.Parallel()
	pool := testenv.NewDB(t)
	n := MustStartTestNode(t, pool, broker.NewMemory(), nil, Options{})
	room := MustLiveRoom(t, pool)
	c := MustDial(t, n, nil)
	ctx := context.Background()
	join := []byte(`{"type":"join","room":"` + room + `"}`)
	for range 15 { // the burst is 10
		if err := c.ws.Write(ctx, websocket.MessageText, join); err != nil {
			t.Fatal(err)
		}
	}
	f := c.waitFor("a refusal", 10*time.Second, func(f frame) bool { return f.Type == "error" })
	if f.Code != "rate_limited" || f.RetryAfter < 1 || f.Room != room {
		t.Fatalf("joins beyond the burst: %+v, want rate_limited with retry_after", f)
	}
	c.send(map[string]any{"type": "ping"})
	c.waitFor("pong", 10*time.Second, func(f frame) bool { return f.Type == "pong" })
	for range 12 {
		if c.ws.Write(ctx, websocket.MessageText, join) != nil {
			break
		}
	}
	select {
	case err := <-c.done:
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || ce.Reason != DisconnectJoinFlood.Reason {
			t.Fatalf("closed with %v, want 1008 %q", err, DisconnectJoinFlood.Reason)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not closed after joining on and on without waiting")
	}
}

// A client that waits retry_after is not closed, however long it goes on.
func TestJoinsThatWaitAreNotClosed(t *testing.T) {
	t.Parallel()
	pool := testenv.NewDB(t)
	n := MustStartTestNode(t, pool, broker.NewMemory(), nil, Options{JoinsPerSecond: 1, JoinBurst: 2})
	room := MustLiveRoom(t, pool)
	c := MustDial(t, n, nil)
	refused := 0
	for joined := 0; joined < 5; {
		c.send(map[string]any{"type": "join", "room": room})
		f := c.waitFor("an answer", 10*time.Second, func(f frame) bool { return f.Type == "joined" || f.Type == "error" })
		switch {
		case f.Type == "joined":
			joined++
		case f.Code == "rate_limited":
			refused++
			time.Sleep(time.Duration(f.RetryAfter) * time.Second) // the protocol's back-off
		default:
			t.Fatalf("join: %+v", f)
		}
	}
	if refused == 0 {
		t.Fatal("5 joins in a row with a burst of 2 were never refused")
	}
}
