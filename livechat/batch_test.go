package livechat

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/broker"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// busyOptions lifts the per-socket and per-address limits, which are not
// what these tests are about: every socket here comes from 127.0.0.1.
var busyOptions = Options{FramesPerSecond: 100000, FrameBurst: 100000, SendsPerMinutePerIP: 1000000}

// mustOpenConv opens a conversation and returns its room and the header
// that makes a socket its citizen.
func mustOpenConv(t *testing.T, n *testNode) (string, http.Header) {
	t.Helper()
	conv, token, _, err := n.svc.OpenConversation(context.Background(), NewConversation{Name: "Lò Văn A", Topic: "đất đai", Consent: &yes})
	if err != nil {
		t.Fatal(err)
	}
	return conv.Room, http.Header{"X-Conversation-Token": {fmt.Sprint(conv.ID) + "." + token}}
}

// sendLine writes one chat line without waiting for its answer.
func (c *wsClient) sendLine(room, body, clientID string) {
	c.t.Helper()
	c.send(map[string]any{"type": "send", "room": room, "body": body, "client_id": clientID})
}

// answer waits for the ack or error of clientID.
func (c *wsClient) answer(clientID string, timeout time.Duration) frame {
	c.t.Helper()
	return c.waitFor("the answer to "+clientID, timeout, func(f frame) bool {
		return (f.Type == "ack" || f.Type == "error") && f.ClientID == clientID
	})
}

type storedLine struct {
	Seq      int64
	Sender   string
	ClientID *string
	Body     string
}

func mustStoredLines(t *testing.T, pool *pgxpool.Pool, room string) (lines []storedLine, lastSeq int64) {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT seq, sender, client_id, body FROM chat_messages WHERE room = $1 ORDER BY seq`, room)
	if err != nil {
		t.Fatal(err)
	}
	lines, err = pgx.CollectRows(rows, pgx.RowToStructByPos[storedLine])
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT last_seq FROM chat_rooms WHERE room = $1`, room).Scan(&lastSeq); err != nil {
		t.Fatal(err)
	}
	return lines, lastSeq
}

// Many sockets on two nodes write to several conversations at once, each
// socket pipelining its lines: every line is acknowledged, stored exactly
// once with the acknowledged seq, each room's seqs run 1…N with no gap,
// each socket's lines keep its order, and a watcher on either node gets
// every line in seq order.
func TestGroupCommitManyPublishers(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t, busyOptions)
	const rooms, sockets, perSocket = 4, 3, 30
	type sender struct {
		c    *wsClient
		room string
		name string
	}
	var senders []sender
	var watchers []*wsClient
	var roomNames []string
	for r := range rooms {
		room, h := mustOpenConv(t, a)
		roomNames = append(roomNames, room)
		for s := range sockets {
			c := MustDial(t, []*testNode{a, a, b}[s], h)
			c.join(room, 0)
			senders = append(senders, sender{c, room, fmt.Sprintf("r%d-s%d", r, s)})
		}
		for _, n := range []*testNode{a, b} {
			w := MustDial(t, n, h)
			w.join(room, 0)
			watchers = append(watchers, w)
		}
	}
	acked := make([]map[string]int64, len(senders)) // client_id → seq
	var wg sync.WaitGroup
	for i, s := range senders {
		acked[i] = map[string]int64{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range perSocket {
				s.c.sendLine(s.room, fmt.Sprintf("%s line %d", s.name, k), fmt.Sprintf("%s-%d", s.name, k))
			}
		}()
	}
	wg.Wait()
	for i, s := range senders {
		prev := int64(0)
		for k := range perSocket {
			id := fmt.Sprintf("%s-%d", s.name, k)
			f := s.c.answer(id, 30*time.Second)
			if f.Type != "ack" || f.Seq <= prev {
				t.Fatalf("%s: %+v after seq %d, want an ack with a later seq", id, f, prev)
			}
			prev = f.Seq
			acked[i][id] = f.Seq
		}
	}
	const total = sockets * perSocket
	for r, room := range roomNames {
		for _, w := range watchers[2*r : 2*r+2] {
			w.messages(room, 0, total, 30*time.Second) // fails on a gap or a duplicate
		}
		lines, last := mustStoredLines(t, a.svc.store.pool, room)
		if len(lines) != total || last != total {
			t.Fatalf("%s: %d lines stored, last_seq %d, want %d", room, len(lines), last, total)
		}
		for k, l := range lines {
			if l.Seq != int64(k+1) || l.ClientID == nil {
				t.Fatalf("%s: line %d is %+v", room, k, l)
			}
			found := false
			for i, s := range senders {
				if seq, ok := acked[i][*l.ClientID]; ok && s.room == room {
					if seq != l.Seq {
						t.Fatalf("%s acked as %d, stored as %d", *l.ClientID, seq, l.Seq)
					}
					found = true
				}
			}
			if !found {
				t.Fatalf("%s: stored line %+v was never acknowledged", room, l)
			}
		}
	}
	t.Logf("node a: %d lines in %d transactions; node b: %d in %d",
		a.svc.lines.lines.Load(), a.svc.lines.commits.Load(), b.svc.lines.lines.Load(), b.svc.lines.commits.Load())
}

// holdRoomLock locks room's sequence row, as a slow writer would, until
// the returned function is called.
func holdRoomLock(t *testing.T, pool *pgxpool.Pool, room string) (pgx.Tx, func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM chat_rooms WHERE room = $1 FOR UPDATE`, room); err != nil {
		t.Fatal(err)
	}
	release := func() { _ = tx.Commit(ctx) } // after an outage: ends the dead transaction, frees its connection
	t.Cleanup(release)
	return tx, release
}

// waitBlocked waits until n lines are with the batcher (in the batches in
// flight or queued behind them) and at least blocked batches wait for a
// lock.
func waitBlocked(t *testing.T, n *testNode, pool *pgxpool.Pool, lines, blocked int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var waiting int
		err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'`).Scan(&waiting)
		if err == nil && waiting >= blocked && n.svc.lines.waiting.Load() == int64(lines) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("batcher holds %d lines, %d backends wait for a lock (%v); want %d lines and a waiting batch",
				n.svc.lines.waiting.Load(), waiting, err, lines)
		}
		time.Sleep(10 * time.Millisecond) // polling PostgreSQL's view, bounded by the deadline
	}
}

// Lines that arrive while commits are in flight share the next
// transaction: twenty sockets send while the batches in flight wait for
// the room's lock, and all twenty are stored in at most lineCommitters+1
// transactions (one per line before group commit), in one gapless
// sequence.
func TestGroupCommitSharesATransaction(t *testing.T) {
	t.Parallel()
	pool := testenv.NewDB(t)
	n := MustStartTestNode(t, pool, broker.NewMemory(), nil, busyOptions)
	room, h := mustOpenConv(t, n)
	const k = 20
	var cs []*wsClient
	for range k {
		c := MustDial(t, n, h)
		c.join(room, 0)
		cs = append(cs, c)
	}
	_, release := holdRoomLock(t, pool, room)
	before := n.svc.lines.commits.Load()
	for i, c := range cs {
		c.sendLine(room, fmt.Sprint("line ", i), fmt.Sprint("c", i))
	}
	waitBlocked(t, n, pool, k, 1)
	release()
	seqs := map[int64]bool{}
	for i, c := range cs {
		f := c.answer(fmt.Sprint("c", i), 10*time.Second)
		if f.Type != "ack" || seqs[f.Seq] || f.Seq < 1 || f.Seq > k {
			t.Fatalf("line %d: %+v", i, f)
		}
		seqs[f.Seq] = true
	}
	if got := n.svc.lines.commits.Load() - before; got > lineCommitters+1 {
		t.Fatalf("%d lines took %d transactions, want at most %d", k, got, lineCommitters+1)
	}
	if lines, last := mustStoredLines(t, pool, room); len(lines) != k || last != k {
		t.Fatalf("%d lines stored, last_seq %d, want %d", len(lines), last, k)
	}
}

// PostgreSQL stops while a batch is in flight (it waits for a room lock,
// the queue behind it full of lines): every line of it is answered
// `unavailable` with retry advice and none is stored, nor the room's seq
// moved; once PostgreSQL is back, the clients resend with the same
// client_ids and each line is stored exactly once, with no gap.
func TestGroupCommitFailureIsRetryable(t *testing.T) {
	t.Parallel()
	pg := testenv.NewPrivatePostgres(t)
	pool, err := db.Open(context.Background(), pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	n := MustStartTestNode(t, pool, broker.NewMemory(), nil, busyOptions)
	room, h := mustOpenConv(t, n)
	const k = 10
	var cs []*wsClient
	for range k {
		c := MustDial(t, n, h)
		c.join(room, 0)
		cs = append(cs, c)
	}
	_, release := holdRoomLock(t, pool, room)
	for i, c := range cs {
		c.sendLine(room, fmt.Sprint("line ", i), fmt.Sprint("c", i))
	}
	waitBlocked(t, n, pool, k, 1)
	pg.Stop()
	release()
	for i, c := range cs {
		f := c.answer(fmt.Sprint("c", i), 20*time.Second)
		if f.Type != "error" || f.Code != "unavailable" || f.RetryAfter < 1 {
			t.Fatalf("line %d with PostgreSQL stopped mid-batch: %+v, want unavailable with retry_after", i, f)
		}
	}
	pg.Start(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if lines, last, err := storedNow(pool, room); err == nil {
			if lines != 0 || last != 0 {
				t.Fatalf("after the failed batch: %d lines stored, last_seq %d; want none", lines, last)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("PostgreSQL did not come back")
		}
		time.Sleep(100 * time.Millisecond) // the pool reconnects on its own
	}
	seqs := map[int64]bool{}
	for i, c := range cs {
		id := fmt.Sprint("c", i)
		for {
			c.sendLine(room, fmt.Sprint("line ", i), id)
			f := c.answer(id, 20*time.Second)
			if f.Type == "ack" {
				if seqs[f.Seq] {
					t.Fatalf("seq %d acked twice", f.Seq)
				}
				seqs[f.Seq] = true
				break
			}
			if f.Code != "unavailable" || time.Now().After(deadline) {
				t.Fatalf("resend of %s: %+v", id, f)
			}
			time.Sleep(time.Duration(f.RetryAfter) * time.Second) // the advice a client follows
		}
	}
	lines, last := mustStoredLines(t, pool, room)
	if len(lines) != k || last != k {
		t.Fatalf("%d lines stored, last_seq %d, want %d", len(lines), last, k)
	}
	for i, l := range lines {
		if l.Seq != int64(i+1) || !seqs[l.Seq] {
			t.Fatalf("stored %+v", l)
		}
	}
}

func storedNow(pool *pgxpool.Pool, room string) (n int, last int64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM chat_messages WHERE room = $1), last_seq FROM chat_rooms WHERE room = $1`, room).Scan(&n, &last)
	return n, last, err
}

// A resend of a line in the same batch as its first copy is acknowledged
// with the first copy's seq and stored once.
func TestGroupCommitResendInOneBatch(t *testing.T) {
	t.Parallel()
	pool := testenv.NewDB(t)
	n := MustStartTestNode(t, pool, broker.NewMemory(), nil, busyOptions)
	room, h := mustOpenConv(t, n)
	var cs []*wsClient
	for range lineCommitters + 2 {
		c := MustDial(t, n, h)
		c.join(room, 0)
		cs = append(cs, c)
	}
	_, release := holdRoomLock(t, pool, room)
	// Every committer waits for the lock with a line of its own…
	for i := range lineCommitters {
		cs[i].sendLine(room, "first", fmt.Sprint("x", i))
		waitBlocked(t, n, pool, i+1, i+1)
	}
	// …so both copies queue behind them and go in the next batch together.
	a, b := cs[lineCommitters], cs[lineCommitters+1]
	a.sendLine(room, "again", "same")
	b.sendLine(room, "again", "same")
	waitBlocked(t, n, pool, lineCommitters+2, lineCommitters)
	release()
	for i := range lineCommitters {
		if f := cs[i].answer(fmt.Sprint("x", i), 10*time.Second); f.Type != "ack" {
			t.Fatalf("x%d: %+v", i, f)
		}
	}
	fa, fb := a.answer("same", 10*time.Second), b.answer("same", 10*time.Second)
	if fa.Type != "ack" || fb.Type != "ack" || fa.Seq != fb.Seq {
		t.Fatalf("acks %+v %+v: want the two copies acked with one seq", fa, fb)
	}
	if lines, last := mustStoredLines(t, pool, room); len(lines) != lineCommitters+1 || last != lineCommitters+1 {
		t.Fatalf("%d lines stored, last_seq %d, want %d", len(lines), last, lineCommitters+1)
	}
}
