package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Through the real sign-in: a leader reads no support chat (API, socket,
// console page: issue 9 item 15) but keeps the live session they answer
// in; a moderator still works the chat.
func TestLivechatLeaderReadsNoSupportChat(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	MustCreateUser(t, n, "admin", "admin1", "correct horse battery")
	MustCreateUser(t, n, "moderator", "mod1", "correct horse battery")
	MustCreateUser(t, n, "leader", "chutich", "correct horse battery")
	admin, mod, leader, citizen := newClient(t, n), newClient(t, n), newClient(t, n), newClient(t, n)
	admin.MustLogin("admin1", "correct horse battery")
	mod.MustLogin("mod1", "correct horse battery")
	leaderToken := leader.MustLogin("chutich", "correct horse battery")

	var conv struct {
		ID   int64
		Room string
	}
	if r := citizen.Do("POST", "/api/v1/conversations", map[string]any{"name": "Lầu Thị Mỷ", "topic": "hộ nghèo", "consent": true}, &conv); r.StatusCode != 201 {
		t.Fatalf("open: %d", r.StatusCode)
	}
	var ss struct {
		ID   int64
		Room string
	}
	if r := admin.Do("POST", "/api/v1/live-sessions", map[string]any{"title": "Giao lưu trực tuyến",
		"starts_at": time.Now().Add(-time.Minute), "leaders": []string{"chutich"}}, &ss); r.StatusCode != 201 {
		t.Fatalf("schedule: %d", r.StatusCode)
	}

	convURL := fmt.Sprintf("/api/v1/conversations/%d", conv.ID)
	wantError(t, leader.Do("GET", convURL, nil, nil), 403, "forbidden")
	wantError(t, leader.Do("GET", "/api/v1/conversations", nil, nil), 403, "forbidden")
	wantError(t, leader.Do("POST", convURL+"/accept", nil, nil), 403, "forbidden")
	wantError(t, leader.Do("POST", convURL+"/close", map[string]any{}, nil), 403, "forbidden")
	r := leader.Do("GET", "/chat/console", nil, nil)
	page, _ := io.ReadAll(r.Body)
	if r.StatusCode != 403 || !strings.Contains(string(page), "<html") {
		t.Errorf("console for a leader: %d %.100s, want a 403 page", r.StatusCode, page)
	}
	if r := mod.Do("GET", "/chat/console", nil, nil); r.StatusCode != 200 {
		t.Errorf("console for a moderator: %d", r.StatusCode)
	}
	if r := leader.Do("GET", fmt.Sprintf("/giao-luu/%d/tra-loi", ss.ID), nil, nil); r.StatusCode != 200 {
		t.Errorf("the leader's answering page: %d", r.StatusCode)
	}

	// The socket, signed in as the leader: the conversation and the queue
	// are refused, the live session is not.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.URL, "http")+"/ws",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + leaderToken}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	for room, want := range map[string]string{conv.Room: "error:forbidden", "queue": "error:forbidden", ss.Room: "joined:"} {
		_ = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"join","room":"`+room+`"}`))
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				t.Fatalf("join %s: %v", room, err)
			}
			var f struct{ Type, Room, Code string }
			_ = json.Unmarshal(data, &f)
			if f.Room != room || (f.Type != "joined" && f.Type != "error") {
				continue
			}
			if got := f.Type + ":" + f.Code; got != want {
				t.Errorf("leader joins %s: %s, want %s", room, got, want)
			}
			break
		}
	}
}
