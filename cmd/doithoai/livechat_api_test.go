package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
)

// A live session end to end: an admin schedules it, an anonymous citizen
// asks, a moderator approves in the moderation queue, the question and the
// leader's answer reach a viewer's socket, and after the end the archive
// page shows both without JavaScript.
func TestLivechatLiveSessionThroughModeration(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	MustCreateUser(t, n, "admin", "admin1", "correct horse battery")
	MustCreateUser(t, n, "moderator", "mod1", "correct horse battery")
	MustCreateUser(t, n, "leader", "chutich", "correct horse battery")
	admin, mod, leader, anon := newClient(t, n), newClient(t, n), newClient(t, n), newClient(t, n)
	admin.MustLogin("admin1", "correct horse battery")
	mod.MustLogin("mod1", "correct horse battery")
	leader.MustLogin("chutich", "correct horse battery")

	var ss struct {
		ID   int64
		Room string
	}
	wantError(t, anon.Do("POST", "/api/v1/live-sessions", map[string]any{"title": "x"}, nil), 401, "login_required")
	wantError(t, admin.Do("POST", "/api/v1/live-sessions", map[string]any{"title": "x", "starts_at": time.Now(), "leaders": []string{"nobody"}}, nil), 400, "unknown_leader")
	if r := admin.Do("POST", "/api/v1/live-sessions", map[string]any{"title": "Giao lưu về chính sách dân tộc",
		"starts_at": time.Now().Add(-time.Minute), "leaders": []string{"chutich"}}, &ss); r.StatusCode != 201 || ss.ID == 0 {
		t.Fatalf("schedule: %d", r.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Scheduling is audited like every admin action; the refused attempt is not.
	conn, err := pgx.Connect(ctx, n.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	var audits []string
	rows, _ := conn.Query(ctx, `SELECT actor_login || ' ' || target FROM admin_audit WHERE action = 'live_session.schedule'`)
	if audits, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil || len(audits) != 1 || audits[0] != fmt.Sprintf("admin1 live_session:%d", ss.ID) {
		t.Errorf("schedule audit entries %q (%v), want one by admin1 for session %d", audits, err, ss.ID)
	}
	conn.Close(ctx)
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	_ = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"join","room":"`+ss.Room+`","since":0}`))

	var q struct {
		ID           int64
		TrackingCode string `json:"tracking_code"`
	}
	if r := anon.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions", ss.ID), map[string]any{"body": "Học sinh dân tộc có được miễn học phí?", "name": "Hà Văn Tú", "consent": true}, &q); r.StatusCode != 201 || q.TrackingCode == "" {
		t.Fatalf("question: %d %+v", r.StatusCode, q)
	}
	var items struct {
		Items []struct{ ID int64 }
	}
	mod.MustDo("GET", "/api/v1/moderation/items?source=live_question", nil, &items)
	if len(items.Items) != 1 {
		t.Fatalf("live_question items: %+v", items)
	}
	id := items.Items[0].ID
	for _, action := range []string{"claim", "approve"} {
		if r := mod.Do("POST", fmt.Sprintf("/api/v1/moderation/items/%d/%s", id, action), map[string]string{}, nil); r.StatusCode != 200 {
			body, _ := io.ReadAll(r.Body)
			t.Fatalf("%s: %d %s", action, r.StatusCode, body)
		}
	}
	wantError(t, mod.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/answers", ss.ID), map[string]any{"question_id": q.ID, "body": "x"}, nil), 403, "forbidden")
	if r := leader.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/answers", ss.ID), map[string]any{"question_id": q.ID, "body": "Có, theo Nghị định 81."}, nil); r.StatusCode != 201 {
		t.Fatalf("answer: %d", r.StatusCode)
	}
	// Answered on the air is answered in the queue, by the leader.
	var answered struct {
		Status, Answer string
		History        []struct{ Actor, Action string }
	}
	mod.MustDo("GET", fmt.Sprintf("/api/v1/moderation/items/%d", id), nil, &answered)
	if answered.Status != "answered" || answered.Answer != "Có, theo Nghị định 81." || answered.History[len(answered.History)-1].Action != "answer" {
		t.Fatalf("queue item after the live answer: %+v", answered)
	}
	var kinds []string
	for len(kinds) < 2 {
		_, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("viewer socket: %v (got %v)", err, kinds)
		}
		var f struct{ Type, Kind, Body string }
		_ = json.Unmarshal(data, &f)
		if f.Type == "message" {
			kinds = append(kinds, f.Kind+":"+f.Body)
		}
	}
	if kinds[0] != "question:Học sinh dân tộc có được miễn học phí?" || kinds[1] != "answer:Có, theo Nghị định 81." {
		t.Fatalf("viewer got %v", kinds)
	}
	if r := leader.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/end", ss.ID), nil, nil); r.StatusCode != 204 {
		t.Fatalf("end: %d", r.StatusCode)
	}
	wantError(t, anon.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions", ss.ID), map[string]string{"body": "muộn"}, nil), 409, "session_ended")
	r := anon.Do("GET", fmt.Sprintf("/giao-luu/%d", ss.ID), nil, nil)
	page, _ := io.ReadAll(r.Body)
	for _, want := range []string{"Học sinh dân tộc có được miễn học phí?", "Có, theo Nghị định 81.", "Hà Văn Tú"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("archive page lacks %q", want)
		}
	}
	if strings.Contains(string(page), "livechat.js") {
		t.Error("the archive loads the live script")
	}
	r = anon.Do("GET", "/giao-luu", nil, nil)
	index, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 || !strings.Contains(string(index), "Giao lưu về chính sách dân tộc") {
		t.Errorf("/giao-luu: %d", r.StatusCode)
	}
}
