package livechat

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/internal/broker"
	"github.com/doithoai/doithoai/internal/testenv"
)

func TestBadInput(t *testing.T) {
	t.Parallel()
	pool := testenv.NewDB(t)
	n := MustStartTestNode(t, pool, broker.NewMemory(), nil, Options{FramesPerSecond: 50, FrameBurst: 50})
	ctx := context.Background()
	conv, _, _, err := n.svc.OpenConversation(ctx, NewConversation{Name: "B", Consent: &yes})
	if err != nil {
		t.Fatal(err)
	}
	live := MustLiveRoom(t, pool)
	for _, tc := range []struct {
		name  string
		frame string
		code  string
	}{
		{"ErrUnknownRoom", `{"type":"join","room":"conv:424242"}`, "not_found"},
		{"ErrBadRoomName", `{"type":"join","room":"lobby"}`, "not_found"},
		{"ErrNotYourConversation", `{"type":"join","room":"` + conv.Room + `"}`, "forbidden"},
		{"ErrWrongToken", `{"type":"join","room":"` + conv.Room + `","token":"nope"}`, "forbidden"},
		{"ErrQueueIsForStaff", `{"type":"join","room":"queue"}`, "forbidden"},
		{"ErrMalformedJSON", `{"type":"join",`, "bad_json"},
		{"ErrUnknownType", `{"type":"dance"}`, "unknown_type"},
		{"ErrSendWithoutJoin", `{"type":"send","room":"` + conv.Room + `","body":"x"}`, "not_joined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := MustDial(t, n, nil)
			_ = c.ws.Write(ctx, websocket.MessageText, []byte(tc.frame))
			f := c.waitFor("error "+tc.code, 5*time.Second, func(f frame) bool { return f.Type == "error" })
			if f.Code != tc.code {
				t.Fatalf("error code %q, want %q", f.Code, tc.code)
			}
		})
	}
	t.Run("ErrReadOnlyLiveRoom", func(t *testing.T) {
		c := MustDial(t, n, nil)
		c.join(live, 0)
		c.send(map[string]any{"type": "send", "room": live, "body": "spam"})
		if f := c.waitFor("error", 5*time.Second, func(f frame) bool { return f.Type == "error" }); f.Code != "read_only" {
			t.Fatalf("code %q", f.Code)
		}
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		c := MustDial(t, n, nil)
		big := `{"type":"ping","pad":"` + strings.Repeat("a", 9000) + `"}`
		_ = c.ws.Write(ctx, websocket.MessageText, []byte(big))
		if f := c.waitFor("error", 5*time.Second, func(f frame) bool { return f.Type == "error" }); f.Code != "too_large" {
			t.Fatalf("code %q", f.Code)
		}
		c.send(map[string]any{"type": "ping"}) // still open
		c.waitFor("pong", 5*time.Second, func(f frame) bool { return f.Type == "pong" })
		_ = c.ws.Write(ctx, websocket.MessageText, []byte(strings.Repeat("a", 100<<10)))
		wantClose(t, c, websocket.StatusMessageTooBig)
	})
	t.Run("ErrFlood", func(t *testing.T) {
		c := MustDial(t, n, nil)
		for i := 0; i < 200; i++ {
			if c.ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`)) != nil {
				break
			}
		}
		wantClose(t, c, websocket.StatusPolicyViolation)
	})
	t.Run("ErrForeignOrigin", func(t *testing.T) {
		_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.url, "http")+"/ws",
			&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://evil.example"}}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("foreign origin: err %v, resp %v", err, resp)
		}
	})
	if last, _, _ := n.svc.store.LastSeq(ctx, conv.Room); last != 0 {
		t.Errorf("bad input stored %d messages", last)
	}
	if last, _, _ := n.svc.store.LastSeq(ctx, live); last != 0 {
		t.Errorf("bad input stored %d messages in the live room", last)
	}
	// The node still serves.
	c := MustDial(t, n, nil)
	c.join(live, 0)
}

func wantClose(t *testing.T, c *wsClient, code websocket.StatusCode) {
	t.Helper()
	select {
	case err := <-c.done:
		if got := websocket.CloseStatus(err); got != code {
			t.Fatalf("closed with %v (%v), want %v", got, err, code)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("not closed; want %v", code)
	}
}

func TestShutdownSaysGoingAway(t *testing.T) {
	t.Parallel()
	pool := testenv.NewDB(t)
	n := MustStartTestNode(t, pool, broker.NewMemory(), nil, Options{})
	c := MustDial(t, n, nil)
	c.send(map[string]any{"type": "ping"})
	c.waitFor("pong", 5*time.Second, func(f frame) bool { return f.Type == "pong" })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	n.svc.Shutdown(ctx)
	wantClose(t, c, websocket.StatusGoingAway)
	// A socket opened after the shutdown is refused by the hub at once.
	if late, err := dial(n, nil); err == nil {
		_, _, err := late.ws.Read(context.Background())
		if got := websocket.CloseStatus(err); got != websocket.StatusGoingAway {
			t.Fatalf("late socket: %v, want going away", err)
		}
	}
}
