package livechat

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/internal/broker"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/ratelimit"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// testNode is one livechat node: the service behind an HTTP server, as
// cmd/doithoai mounts it, with a header standing in for the session.
type testNode struct {
	svc *Service
	url string
}

// testUserHeader carries "id:role:name" in place of a session cookie.
const testUserHeader = "X-Test-User"

func withTestUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.Header.Get(testUserHeader); v != "" {
			p := strings.SplitN(v, ":", 3)
			id, _ := strconv.ParseInt(p[0], 10, 64)
			r = r.WithContext(identity.With(r.Context(), &identity.User{ID: id, Role: p[1], Login: p[2], DisplayName: p[2]}))
		}
		next.ServeHTTP(w, r)
	})
}

// MustStartTestNode serves a livechat node on pool and b until t ends.
func MustStartTestNode(t *testing.T, pool *pgxpool.Pool, b broker.Broker, rds *redis.Client, opts Options) *testNode {
	t.Helper()
	if opts.SyncInterval == 0 {
		opts.SyncInterval = 200 * time.Millisecond
	}
	opts.Redis = rds
	// With Redis, limits are shared by the nodes, as in production.
	var limiter ratelimit.Limiter = ratelimit.NewMemory()
	if rds != nil {
		limiter = ratelimit.NewRedis(rds, opts.RedisPrefix)
	}
	svc, err := New(Deps{Pool: pool, Broker: b, Limiter: limiter, Queue: moderation.NewService(pool, time.Minute, testenv.Logger(t)),
		Log: testenv.Logger(t), Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(i18n.Middleware, withTestUser)
	r.Group(svc.Routes)
	srv := httptest.NewServer(r)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		svc.Shutdown(ctx)
		srv.Close()
	})
	return &testNode{svc: svc, url: srv.URL}
}

// MustRedisBroker returns a broker on the test Redis under prefix.
func MustRedisBroker(t *testing.T, url, prefix string) (broker.Broker, *redis.Client) {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	b := broker.NewRedis(c, prefix)
	t.Cleanup(func() { _ = b.Close(); _ = c.Close() })
	return b, c
}

// MustCreateUser inserts an account and returns its id.
func MustCreateUser(t *testing.T, pool *pgxpool.Pool, role, login string) int64 {
	t.Helper()
	var id int64
	if err := pool.QueryRow(context.Background(), `INSERT INTO users (login, role, display_name, password_hash) VALUES ($1, $2, $1, 'x') RETURNING id`, login, role).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func userHeader(id int64, role, name string) http.Header {
	return http.Header{testUserHeader: {strconv.FormatInt(id, 10) + ":" + role + ":" + name}}
}

// frame is any server frame.
type frame struct {
	Type     string `json:"type"`
	Room     string `json:"room"`
	Seq      int64  `json:"seq"`
	Kind     string `json:"kind"`
	Body     string `json:"body"`
	More     bool   `json:"more"` // history: more is stored
	Author   string `json:"author"`
	ClientID string `json:"client_id"`
	Code     string `json:"code"`
	// RetryAfter is a rate_limited error's wait, in seconds.
	RetryAfter int             `json:"retry_after"`
	Viewers    int             `json:"viewers"`
	Position   int             `json:"position"`
	Data       json.RawMessage `json:"data"`
	Waiting    []QueueItem     `json:"waiting"`
}

// wsClient is a test client that reads every frame into a channel.
type wsClient struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan frame
	done   chan error // the read error that ended the client
}

func MustDial(t *testing.T, n *testNode, h http.Header) *wsClient {
	t.Helper()
	c, err := dial(n, h)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.t = t
	t.Cleanup(func() { _ = c.ws.CloseNow() })
	go c.read()
	return c
}

func dial(n *testNode, h http.Header) (*wsClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.url, "http")+"/ws", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	return &wsClient{ws: ws, frames: make(chan frame, 100000), done: make(chan error, 1)}, nil
}

func (c *wsClient) read() {
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.done <- err
			close(c.frames)
			return
		}
		var f frame
		if json.Unmarshal(data, &f) == nil {
			c.frames <- f
		}
	}
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	data, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, data); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// waitFor returns the first frame that matches ok, failing after timeout.
func (c *wsClient) waitFor(what string, timeout time.Duration, ok func(frame) bool) frame {
	c.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case f, open := <-c.frames:
			if !open {
				c.t.Fatalf("socket closed while waiting for %s", what)
			}
			if ok(f) {
				return f
			}
		case <-deadline:
			c.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (c *wsClient) join(room string, since int64) frame {
	c.t.Helper()
	c.send(map[string]any{"type": "join", "room": room, "since": since})
	return c.waitFor("joined "+room, 5*time.Second, func(f frame) bool {
		if f.Type == "error" {
			c.t.Fatalf("join %s: %s", room, f.Code)
		}
		return f.Type == "joined" && f.Room == room
	})
}

// messages collects the next n message frames of room, failing on a gap
// or a duplicate: seqs must run from after+1 by one.
func (c *wsClient) messages(room string, after int64, n int, timeout time.Duration) []frame {
	c.t.Helper()
	var out []frame
	deadline := time.After(timeout)
	for len(out) < n {
		select {
		case f, open := <-c.frames:
			if !open {
				c.t.Fatalf("socket closed after %d of %d messages", len(out), n)
			}
			if f.Type != "message" || f.Room != room {
				continue
			}
			if want := after + int64(len(out)) + 1; f.Seq != want {
				c.t.Fatalf("got seq %d, want %d (gap or duplicate)", f.Seq, want)
			}
			out = append(out, f)
		case <-deadline:
			c.t.Fatalf("timed out after %d of %d messages in %s", len(out), n, room)
		}
	}
	return out
}

// MustStore stores a message in room straight through the store and
// publishes it as a sender on node would.
func MustStore(t *testing.T, n *testNode, room, body string) Message {
	t.Helper()
	ctx := context.Background()
	tx, err := n.svc.store.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := appendMessage(ctx, tx, newMessage{Room: room, Kind: KindText, Body: body, AuthorRole: "system", Sender: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	n.svc.hub.Publish(m)
	return m
}

// MustLiveRoom creates a live session that is on now and returns its room.
func MustLiveRoom(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var id int64
	err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(context.Background(), `INSERT INTO live_sessions (title, starts_at, ends_at)
			VALUES ('test', now() - interval '1 minute', now() + interval '1 hour') RETURNING id`).Scan(&id); err != nil {
			return err
		}
		return createRoom(context.Background(), tx, LiveRoom(id))
	})
	if err != nil {
		t.Fatal(err)
	}
	return LiveRoom(id)
}

// yes is a consent given, for NewConversation.Consent.
var yes = true

// mustReadJoined reads ws, a socket with no read loop of its own, until its
// join ack for room: the signal that the room delivers to it from now on.
func mustReadJoined(t *testing.T, ws *websocket.Conn, room string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for the join ack of %s: %v", room, err)
		}
		var f frame
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		if f.Type == "error" {
			t.Fatalf("join %s: %s", room, f.Code)
		}
		if f.Type == "joined" && f.Room == room {
			return
		}
	}
}
