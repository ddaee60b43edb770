package livechat

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/broker"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/testenv"
)

// While PostgreSQL is down, a join of a room that exists is answered
// `unavailable` with retry advice, never not_found (which tells a client to
// give up); once PostgreSQL is back the same join works and replays what
// the client missed (issue 13).
func TestJoinDuringPostgresOutageIsRetryable(t *testing.T) {
	t.Parallel()
	pg := testenv.NewPrivatePostgres(t)
	pool, err := db.Open(context.Background(), pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	n := MustStartTestNode(t, pool, broker.NewMemory(), nil, Options{})
	live := MustLiveRoom(t, pool)
	for i := 1; i <= 3; i++ {
		MustStore(t, n, live, fmt.Sprint("line ", i))
	}
	conv, token, _, err := n.svc.OpenConversation(context.Background(), NewConversation{Name: "Lò Văn A", Topic: "đất đai", Consent: &yes})
	if err != nil {
		t.Fatal(err)
	}
	viewer := MustDial(t, n, nil)
	citizen := MustDial(t, n, http.Header{"X-Conversation-Token": {fmt.Sprint(conv.ID) + "." + token}})

	pg.Stop()
	for _, c := range []struct {
		who  *wsClient
		room string
	}{{viewer, live}, {citizen, conv.Room}} {
		c.who.send(map[string]any{"type": "join", "room": c.room, "since": 1})
		f := c.who.waitFor("the join's answer in "+c.room, 10*time.Second, func(f frame) bool {
			return (f.Type == "error" || f.Type == "joined") && f.Room == c.room
		})
		if f.Type != "error" || f.Code != "unavailable" || f.RetryAfter < 1 {
			t.Fatalf("join %s with PostgreSQL down: %+v, want error unavailable with retry_after", c.room, f)
		}
	}

	pg.Start(t)
	// The client honours retry_after: join again until PostgreSQL answers
	// (the pool reconnects on its own), within a deadline.
	deadline := time.Now().Add(20 * time.Second)
	for {
		viewer.send(map[string]any{"type": "join", "room": live, "since": 1})
		f := viewer.waitFor("the join's answer", 10*time.Second, func(f frame) bool {
			return (f.Type == "error" || f.Type == "joined" || f.Type == "message") && f.Room == live
		})
		if f.Type == "message" {
			if f.Seq != 2 {
				t.Fatalf("first replayed seq %d, want 2", f.Seq)
			}
			viewer.messages(live, 2, 1, 5*time.Second)
			break
		}
		if f.Code != "unavailable" || time.Now().After(deadline) {
			t.Fatalf("join after PostgreSQL came back: %+v", f)
		}
		time.Sleep(time.Duration(f.RetryAfter) * time.Second) // the advice a client follows
	}
	citizen.join(conv.Room, 0)
}
