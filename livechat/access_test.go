package livechat

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/broker"
	"github.com/doithoai/doithoai/internal/testenv"
)

// Support chats are between their citizen and the moderators (admins
// stand in for them): a leader, who answers in live sessions, reads no
// one's support chat (issue 9 item 15), and neither does anyone else.
// Every way in to a conversation is tried with every kind of caller.
func TestConversationAccessByRole(t *testing.T) {
	t.Parallel()
	pool := testenv.NewDB(t)
	n := MustStartTestNode(t, pool, broker.NewMemory(), nil, Options{})
	ctx := context.Background()
	ownerID := MustCreateUser(t, pool, "citizen", "owner")
	conv, token, _, err := n.svc.OpenConversation(ctx, NewConversation{Name: "Vàng Thị Dợ", Topic: "trợ cấp", CitizenID: &ownerID, Consent: &yes})
	if err != nil {
		t.Fatal(err)
	}
	tokenHeader := http.Header{"X-Conversation-Token": {fmt.Sprint(conv.ID) + "." + token}}
	callers := []struct {
		name string
		h    http.Header
		// may: reads and works the conversation; staff: works the queue
		may, staff bool
	}{
		{"CitizenOwner", userHeader(ownerID, "citizen", "owner"), true, false},
		{"TokenHolder", tokenHeader, true, false},
		{"OtherCitizen", userHeader(MustCreateUser(t, pool, "citizen", "other"), "citizen", "other"), false, false},
		{"Anonymous", http.Header{}, false, false},
		{"Moderator", userHeader(MustCreateUser(t, pool, "moderator", "mod1"), "moderator", "mod1"), true, true},
		{"Leader", userHeader(MustCreateUser(t, pool, "leader", "chutich"), "leader", "chutich"), false, false},
		{"Admin", userHeader(MustCreateUser(t, pool, "admin", "admin1"), "admin", "admin1"), true, true},
	}
	convURL := fmt.Sprintf("/api/v1/conversations/%d", conv.ID)
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			// The socket: the conversation's room and the queue.
			ws := MustDial(t, n, c.h)
			wantJoin(t, ws, conv.Room, c.may)
			wantJoin(t, ws, RoomQueue, c.staff)

			// The API.
			wantStatus(t, n, "GET", convURL, c.h, pick(c.may, 200, 403), false)
			// Staff routes ask anonymous callers to log in first.
			refused := pick(c.h.Get(testUserHeader) == "", 401, 403)
			wantStatus(t, n, "GET", "/api/v1/conversations", c.h, pick(c.staff, 200, refused), false)
			if !c.staff {
				wantStatus(t, n, "POST", convURL+"/accept", c.h, refused, false)
			}
			if !c.may {
				wantStatus(t, n, "POST", convURL+"/close", c.h, 403, false)
			}
			// The console page: a readable refusal, not a JSON one.
			if c.staff {
				wantStatus(t, n, "GET", "/chat/console", c.h, 200, true)
			} else if refused == 403 {
				wantStatus(t, n, "GET", "/chat/console", c.h, 403, true)
			} else {
				wantStatus(t, n, "GET", "/chat/console", c.h, http.StatusSeeOther, true)
			}
		})
	}
	// Nothing a refused caller tried changed the conversation.
	got, err := n.svc.store.FindConversationByID(ctx, conv.ID)
	if err != nil || got.Status != ConvWaiting {
		t.Fatalf("after the refusals: %v, status %q, want waiting", err, got.Status)
	}
}

func pick(ok bool, yes, no int) int {
	if ok {
		return yes
	}
	return no
}

// wantJoin joins room and checks the answer: joined, or a forbidden error.
func wantJoin(t *testing.T, c *wsClient, room string, ok bool) {
	t.Helper()
	c.send(map[string]any{"type": "join", "room": room})
	f := c.waitFor("answer to join "+room, 5*time.Second, func(f frame) bool {
		return (f.Type == "joined" || f.Type == "error") && f.Room == room
	})
	switch {
	case ok && f.Type != "joined":
		t.Errorf("join %s: %s, want joined", room, f.Code)
	case !ok && (f.Type != "error" || f.Code != "forbidden"):
		t.Errorf("join %s: %s %s, want a forbidden error", room, f.Type, f.Code)
	}
}

// wantStatus makes a request as h and checks its status; a page's refusal
// must be a page too.
func wantStatus(t *testing.T, n *testNode, method, path string, h http.Header, status int, page bool) {
	t.Helper()
	req, err := http.NewRequest(method, n.url+path, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if page {
		req.Header.Set("Accept", "text/html")
	} else {
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Content-Type", "application/json")
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Errorf("%s %s: %d, want %d: %.200s", method, path, resp.StatusCode, status, data)
	}
	if page && status == http.StatusForbidden && !strings.Contains(string(data), "<html") {
		t.Errorf("%s %s: the refusal is not a page: %.200s", method, path, data)
	}
}
