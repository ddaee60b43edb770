package livechat

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/internal/broker"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/localserver"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// twoNodes starts two nodes sharing one database and one Redis.
func twoNodes(t *testing.T, opts Options) (a, b *testNode) {
	t.Helper()
	pool := testenv.NewDB(t)
	prefix := testenv.RedisPrefix(t)
	ba, ra := MustRedisBroker(t, testenv.RedisURL(t), prefix)
	bb, rb := MustRedisBroker(t, testenv.RedisURL(t), prefix)
	opts.RedisPrefix = prefix
	return MustStartTestNode(t, pool, ba, ra, opts), MustStartTestNode(t, pool, bb, rb, opts)
}

func TestConversationAcrossNodes(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t, Options{})
	ctx := context.Background()
	pool := a.svc.store.pool
	opID := MustCreateUser(t, pool, "moderator", "mod1")
	conv, token, pos, err := a.svc.OpenConversation(ctx, NewConversation{Name: "Lò Văn A", Topic: "đất đai", Consent: &yes})
	if err != nil || pos != 1 {
		t.Fatalf("open: %v, position %d", err, pos)
	}
	// The moderator watches the queue on node B and sees the conversation.
	mod := MustDial(t, b, userHeader(opID, "moderator", "mod1"))
	mod.send(map[string]any{"type": "join", "room": "queue"})
	mod.waitFor("queue with the conversation", 5*time.Second, func(f frame) bool {
		return f.Type == "queue" && len(f.Waiting) == 1 && f.Waiting[0].ID == conv.ID
	})
	citizen := MustDial(t, a, http.Header{"X-Conversation-Token": {fmt.Sprint(conv.ID) + "." + token}})
	citizen.join(conv.Room, 0)
	mod.join(conv.Room, 0)
	if _, err := b.svc.AcceptConversation(ctx, &identity.User{ID: opID, Role: "moderator", Login: "mod1"}, conv.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.AcceptConversation(ctx, &identity.User{ID: opID, Role: "moderator", Login: "mod1"}, conv.ID); err == nil {
		t.Fatal("second accept succeeded; want a conflict")
	}

	// Both sides write at once, on different nodes.
	const n = 25
	var wg sync.WaitGroup
	for _, side := range []*wsClient{citizen, mod} {
		wg.Add(1)
		go func(c *wsClient) {
			defer wg.Done()
			for i := 0; i < n; i++ {
				data, _ := json.Marshal(map[string]any{"type": "send", "room": conv.Room, "body": fmt.Sprintf("line %d", i), "client_id": fmt.Sprintf("c%d", i)})
				_ = c.ws.Write(ctx, websocket.MessageText, data)
			}
		}(side)
	}
	wg.Wait()
	total := 1 + 2*n // accepted + lines
	got := map[string][]frame{}
	for name, c := range map[string]*wsClient{"citizen": citizen, "moderator": mod} {
		got[name] = c.messages(conv.Room, 0, total, 10*time.Second)
	}
	for i := range got["citizen"] {
		if got["citizen"][i].Body != got["moderator"][i].Body || got["citizen"][i].Author != got["moderator"][i].Author {
			t.Fatalf("seq %d differs between nodes: %+v vs %+v", i+1, got["citizen"][i], got["moderator"][i])
		}
	}
	if got["citizen"][0].Kind != KindAccepted {
		t.Errorf("first message kind %q, want accepted", got["citizen"][0].Kind)
	}
	// Each side's own lines keep their order.
	for name, want := range map[string]string{"citizen": "Lò Văn A", "moderator": "mod1"} {
		next := 0
		for _, f := range got[name] {
			if f.Author == want && f.Kind == KindText {
				if f.Body != fmt.Sprintf("line %d", next) {
					t.Fatalf("%s: got %q, want line %d", name, f.Body, next)
				}
				next++
			}
		}
	}

	closed, err := a.svc.CloseConversation(ctx, conv.ID, "citizen", ptr(5))
	if err != nil || closed.Status != ConvClosed || closed.Rating == nil || *closed.Rating != 5 {
		t.Fatalf("close: %v %+v", err, closed)
	}
	mod.waitFor("closed message", 5*time.Second, func(f frame) bool { return f.Type == "message" && f.Kind == KindClosed })
	var text string
	if err := pool.QueryRow(ctx, `SELECT transcript FROM chat_conversations WHERE id = $1`, conv.ID).Scan(&text); err != nil {
		t.Fatal(err)
	}
	if strings.Count(text, "\n") != 2*n || !strings.Contains(text, "Lò Văn A: line 24") {
		t.Errorf("transcript has %d lines:\n%s", strings.Count(text, "\n"), text)
	}
	// A line after the close is refused and stores nothing.
	citizen.send(map[string]any{"type": "send", "room": conv.Room, "body": "late", "client_id": "late"})
	citizen.waitFor("closed error", 5*time.Second, func(f frame) bool { return f.Type == "error" && f.Code == "closed" })
}

func ptr[T any](v T) *T { return &v }

func TestResumeWithoutLossOrDuplicates(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t, Options{})
	room := MustLiveRoom(t, a.svc.store.pool)
	viewer := MustDial(t, b, nil)
	viewer.join(room, 0)
	for i := 1; i <= 10; i++ {
		MustStore(t, a, room, fmt.Sprint("m", i))
	}
	first := viewer.messages(room, 0, 10, 5*time.Second)
	_ = viewer.ws.CloseNow()
	// Missed while away, stored on both nodes.
	for i := 11; i <= 30; i++ {
		MustStore(t, []*testNode{a, b}[i%2], room, fmt.Sprint("m", i))
	}
	back := MustDial(t, a, nil) // a different node this time
	j := back.join(room, first[len(first)-1].Seq)
	if j.Seq != 30 {
		t.Errorf("joined at seq %d, want 30", j.Seq)
	}
	back2 := MustDial(t, a, nil)
	back2.send(map[string]any{"type": "join", "room": room, "since": 10})
	replay := back2.messages(room, 10, 20, 5*time.Second)
	if replay[0].Body != "m11" || replay[19].Body != "m30" {
		t.Fatalf("replay %q … %q", replay[0].Body, replay[19].Body)
	}
	// Then live, continuing at 31, on both resumed sockets.
	MustStore(t, b, room, "m31")
	back2.messages(room, 30, 1, 5*time.Second)
	back.messages(room, 30, 1, 5*time.Second)
	select {
	case f := <-back2.frames:
		if f.Type == "message" {
			t.Fatalf("unexpected extra message %+v", f)
		}
	case <-time.After(300 * time.Millisecond):
	}
}

func TestResendIsStoredOnce(t *testing.T) {
	t.Parallel()
	a, _ := twoNodes(t, Options{})
	ctx := context.Background()
	conv, token, _, err := a.svc.OpenConversation(ctx, NewConversation{})
	if err != nil {
		t.Fatal(err)
	}
	c := MustDial(t, a, nil)
	c.send(map[string]any{"type": "join", "room": conv.Room, "token": token})
	c.waitFor("joined", 5*time.Second, func(f frame) bool { return f.Type == "joined" })
	for range 2 {
		c.send(map[string]any{"type": "send", "room": conv.Room, "body": "xin chào", "client_id": "same"})
	}
	a1 := c.waitFor("ack", 5*time.Second, func(f frame) bool { return f.Type == "ack" })
	a2 := c.waitFor("second ack", 5*time.Second, func(f frame) bool { return f.Type == "ack" })
	if a1.Seq != 1 || a2.Seq != 1 {
		t.Fatalf("acks %d and %d, want both 1", a1.Seq, a2.Seq)
	}
	if last, _, _ := a.svc.store.LastSeq(ctx, conv.Room); last != 1 {
		t.Fatalf("last seq %d, want 1: the resend was stored twice", last)
	}
}

func TestLiveAnswerReachesViewersOnBothNodes(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t, Options{})
	ctx := context.Background()
	pool := a.svc.store.pool
	adminID := MustCreateUser(t, pool, "admin", "admin1")
	leaderID := MustCreateUser(t, pool, "leader", "chutich")
	modID := MustCreateUser(t, pool, "moderator", "mod1")
	admin := &identity.User{ID: adminID, Role: "admin", Login: "admin1"}
	ss, err := a.svc.ScheduleSession(ctx, admin, NewSession{Title: "Đối thoại về đất rừng", StartsAt: time.Now().Add(-time.Minute), Leaders: []string{"chutich"}})
	if err != nil {
		t.Fatal(err)
	}
	var viewers []*wsClient
	for i := 0; i < 6; i++ {
		v := MustDial(t, []*testNode{a, b}[i%2], nil)
		v.join(ss.Room, 0)
		viewers = append(viewers, v)
	}
	// Viewer count across both nodes, through Redis. Waited for before any
	// message: a presence frame is sent only when the count changes, and
	// reading messages skips it (under load the count used to reach 6
	// while the test read the answer, and the wait below never saw it).
	viewers[0].waitFor("6 viewers", 15*time.Second, func(f frame) bool { return f.Type == "presence" && f.Viewers == 6 })
	q, err := b.svc.SubmitQuestion(ctx, ss.ID, NewQuestion{Body: "Khi nào cấp sổ đỏ?", Name: "Giàng A Páo", Consent: true})
	if err != nil {
		t.Fatal(err)
	}
	mod := &identity.User{ID: modID, Role: "moderator", Login: "mod1"}
	if err := b.svc.ModerateQuestion(ctx, mod, ss.ID, q.ID, "approve", ""); err != nil {
		t.Fatal(err)
	}
	leader := &identity.User{ID: leaderID, Role: "leader", Login: "chutich"}
	if _, _, err := a.svc.AnswerQuestion(ctx, mod, ss.ID, q.ID, "x"); err == nil {
		t.Fatal("a moderator answered as a leader")
	}
	if _, _, err := a.svc.AnswerQuestion(ctx, leader, ss.ID, q.ID, "Trong quý này."); err != nil {
		t.Fatal(err)
	}
	for i, v := range viewers {
		got := v.messages(ss.Room, 0, 2, 5*time.Second)
		if got[0].Kind != KindQuestion || got[0].Body != q.Body || got[1].Kind != KindAnswer || got[1].Body != "Trong quý này." {
			t.Fatalf("viewer %d got %+v", i, got)
		}
	}
	// After the end, the archive takes no more questions or answers.
	if err := a.svc.EndSession(ctx, leader, ss.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.SubmitQuestion(ctx, ss.ID, NewQuestion{Body: "muộn"}); err == nil {
		t.Fatal("question accepted after the end")
	}
	qs, err := a.svc.store.FindQuestions(ctx, ss.ID, false)
	if err != nil || len(qs) != 1 || len(qs[0].Answers) != 1 {
		t.Fatalf("archive: %v %+v", err, qs)
	}
}

// A socket that stops reading is closed when its queue overflows; the
// others get every message. The write timeout is far longer than the
// test's wait, so had the stalled socket held up the room, the fast ones
// would not have everything in time. (How fast is the load generator's
// business, not a test's: cmd/loadws.)
func TestSlowConsumerIsClosedWithoutDelayingOthers(t *testing.T) {
	t.Parallel()
	a, _ := twoNodes(t, Options{SendQueue: 128, WriteTimeout: 5 * time.Minute})
	room := MustLiveRoom(t, a.svc.store.pool)
	// The slow one: a tiny receive buffer and nobody reading.
	dialer := &net.Dialer{Control: nil}
	httpc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err == nil {
			_ = c.(*net.TCPConn).SetReadBuffer(4096)
		}
		return c, err
	}}}
	ctx := context.Background()
	slow, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.url, "http")+"/ws", &websocket.DialOptions{HTTPClient: httpc})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	if err := slow.Write(ctx, websocket.MessageText, []byte(`{"type":"join","room":"`+room+`"}`)); err != nil {
		t.Fatal(err)
	}
	// The slow socket reads its join ack, then never reads again: from the
	// ack on, the room delivers to it.
	mustReadJoined(t, slow, room)
	var fast []*wsClient
	for i := 0; i < 3; i++ {
		c := MustDial(t, a, nil)
		c.join(room, 0)
		fast = append(fast, c)
	}
	body := strings.Repeat("x", 8000)
	const n = 1500
	start := time.Now()
	for i := 0; i < n; i++ {
		MustStore(t, a, room, body)
	}
	for _, c := range fast {
		c.messages(room, 0, n, 90*time.Second)
	}
	took := time.Since(start)
	deadline := time.Now().Add(5 * time.Second)
	for a.svc.metrics.slowClosed.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if a.svc.metrics.slowClosed.Load() != 1 {
		t.Fatalf("slow sockets closed: %d, want 1", a.svc.metrics.slowClosed.Load())
	}
	t.Logf("%d messages to 3 fast sockets in %v while one socket stalled", n, took)
}

// Redis goes away and comes back: nothing stored is lost on either node.
func TestRedisRestartLosesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rs, err := localserver.StartRedis(context.Background(), dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	port := rs.Port
	t.Cleanup(func() { rs.Stop() })
	pool := testenv.NewDB(t)
	ba, ra := MustRedisBroker(t, rs.URL(), "r:")
	bb, rb := MustRedisBroker(t, rs.URL(), "r:")
	a := MustStartTestNode(t, pool, ba, ra, Options{RedisPrefix: "r:"})
	b := MustStartTestNode(t, pool, bb, rb, Options{RedisPrefix: "r:"})
	room := MustLiveRoom(t, pool)
	va, vb := MustDial(t, a, nil), MustDial(t, b, nil)
	va.join(room, 0)
	vb.join(room, 0)
	for i := 1; i <= 5; i++ {
		MustStore(t, a, room, fmt.Sprint("before ", i))
	}
	va.messages(room, 0, 5, 5*time.Second)
	vb.messages(room, 0, 5, 5*time.Second)

	rs.Stop()
	for i := 1; i <= 5; i++ {
		MustStore(t, a, room, fmt.Sprint("during ", i))
	}
	va.messages(room, 5, 5, 5*time.Second)  // the node keeps serving its own sockets
	vb.messages(room, 5, 5, 10*time.Second) // the other catches up from PostgreSQL

	if rs, err = localserver.StartRedis(context.Background(), dir, port); err != nil {
		t.Fatal(err)
	}
	// Both nodes' brokers subscribe again by themselves; publish once Redis
	// says they have.
	mustSubscribers(t, rs.URL(), "r:"+channel(room), 2)
	for i := 1; i <= 5; i++ {
		MustStore(t, []*testNode{a, b}[i%2], room, fmt.Sprint("after ", i))
	}
	va.messages(room, 10, 5, 10*time.Second)
	vb.messages(room, 10, 5, 10*time.Second)
}

// mustSubscribers polls Redis until n connections are subscribed to the
// full channel name (PUBSUB NUMSUB), failing after a deadline.
func mustSubscribers(t *testing.T, url, full string, n int64) {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	var got map[string]int64
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, err = c.PubSubNumSub(context.Background(), full).Result(); err == nil && got[full] == n {
			return
		}
	}
	t.Fatalf("subscribers of %s: %v (%v), want %d", full, got, err, n)
}

// Redis goes away: messages stored on one node still reach the other's
// sockets through the broker's PostgreSQL NOTIFY fallback, with the
// periodic check far too slow to be what delivers them, and a message too
// large for NOTIFY goes as a pointer that the receiver fills from
// PostgreSQL (issue 13).
func TestRedisOutageFallsBackToPostgresNotify(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rs, err := localserver.StartRedis(context.Background(), dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			rs.Stop()
		}
	})
	pool := testenv.NewDB(t)
	opts := Options{RedisPrefix: "f:", SyncInterval: time.Hour}
	fa, ra := mustFallbackBroker(t, rs.URL(), pool, "f:")
	fb, rb := mustFallbackBroker(t, rs.URL(), pool, "f:")
	a := MustStartTestNode(t, pool, fa, ra, opts)
	b := MustStartTestNode(t, pool, fb, rb, opts)
	room := MustLiveRoom(t, pool)
	vb := MustDial(t, b, nil)
	vb.join(room, 0)
	mustSubscribers(t, rs.URL(), "f:"+channel(room), 1)
	MustStore(t, a, room, "before")
	vb.messages(room, 0, 1, 5*time.Second)

	rs.Stop()
	stopped = true
	for i := 1; i <= 5; i++ {
		MustStore(t, a, room, fmt.Sprint("during ", i))
		vb.messages(room, int64(i), 1, 5*time.Second)
	}
	MustStore(t, a, room, strings.Repeat("dài ", 2000)) // 10,000 bytes: over NOTIFY's 8000
	if got := vb.messages(room, 6, 1, 5*time.Second); len(got[0].Body) != 10000 {
		t.Fatalf("the long message arrived with %d bytes, want 10000", len(got[0].Body))
	}
	if fa.ViaPostgres() < 6 {
		t.Fatalf("%d publishes through PostgreSQL, want at least 6", fa.ViaPostgres())
	}
}

// mustFallbackBroker is one node's Redis broker with the PostgreSQL
// fallback, as cmd/doithoai wires it.
func mustFallbackBroker(t *testing.T, url string, pool *pgxpool.Pool, prefix string) (*broker.Fallback, *redis.Client) {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	pg := broker.NewPostgres(pool, prefix)
	f := broker.NewFallback(broker.NewRedis(c, prefix), c, pg)
	t.Cleanup(func() { f.Close(); c.Close() })
	select {
	case <-pg.Listening():
	case <-time.After(10 * time.Second):
		t.Fatal("PostgreSQL broker never listened")
	}
	return f, c
}
