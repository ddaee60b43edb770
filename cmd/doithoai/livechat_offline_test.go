package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// offlineItem is the moderation item an offline question became.
type offlineItem struct {
	ID           int64
	Ref          string
	Source       string
	Status       string
	Content      string
	Contact      string
	TrackingCode string `json:"tracking_code"`
}

func chatItems(t *testing.T, mod *client) []offlineItem {
	t.Helper()
	var out struct{ Items []offlineItem }
	if r := mod.Do("GET", "/api/v1/moderation/items?source=chat_conversation", nil, &out); r.StatusCode != 200 {
		t.Fatalf("moderation items: %d", r.StatusCode)
	}
	return out.Items
}

func pageOf(t *testing.T, r *http.Response) string {
	t.Helper()
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

// dialAs opens a socket carrying c's cookies (the citizen's lc_conv) or a
// bearer token.
func dialAs(t *testing.T, ctx context.Context, n *node, c *client, bearer string) *websocket.Conn {
	t.Helper()
	h := http.Header{}
	if bearer != "" {
		h.Set("Authorization", "Bearer "+bearer)
	}
	if c != nil {
		u, _ := url.Parse(n.URL)
		var parts []string
		for _, ck := range c.http.Jar.Cookies(u) {
			parts = append(parts, ck.Name+"="+ck.Value)
		}
		h.Set("Cookie", strings.Join(parts, "; "))
	}
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.URL, "http")+"/ws", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	return ws
}

// waitFrame reads ws until a frame of type typ in room arrives.
func waitFrame(t *testing.T, ctx context.Context, ws *websocket.Conn, typ, room string) {
	t.Helper()
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for %s in %s: %v", typ, room, err)
		}
		var f struct{ Type, Room string }
		_ = json.Unmarshal(data, &f)
		if f.Type == typ && f.Room == room {
			return
		}
	}
}

var leftCode = regexp.MustCompile(`/chat\?left=([A-Z0-9-]+)`)

// With no operator on the chat console, /chat offers the offline form at
// once and says when officers are on duty; the question and contact left
// there get a tracking code and enter the moderation queue. A contact
// without consent is refused and stores nothing.
func TestChatOfflineFormWhenNoOperatorOnline(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "", withEnv("SLA_OFFICE_HOURS", "07:00-11:00,13:30-17:30"))
	MustCreateUser(t, n, "moderator", "mod-off", "correct horse battery")
	mod, citizen := newClient(t, n), newClient(t, n)
	modToken := mod.MustLogin("mod-off", "correct horse battery")

	page := pageOf(t, citizen.Do("GET", "/chat?lang=en", nil, nil))
	for _, want := range []string{`action="/chat/offline"`, "No officer is online now.", "07:00–11:00, 13:30–17:30"} {
		if !strings.Contains(page, want) {
			t.Errorf("/chat with no operator online lacks %q", want)
		}
	}
	if strings.Contains(page, `action="/chat"`) {
		t.Error("/chat offers a live chat although no operator is online")
	}

	question := "Thủ tục cấp đổi sổ đỏ ở xã Lũng Cú cần giấy tờ gì?"
	r := citizen.PostForm("/chat/offline?lang=en", url.Values{"question": {question}, "name": {"Giàng Seo Phử"}, "contact": {"0912000111"}})
	if body := pageOf(t, r); r.StatusCode != 422 || !strings.Contains(body, "You need to agree") {
		t.Errorf("contact without consent: %d, want 422 with the consent error", r.StatusCode)
	}
	if items := chatItems(t, mod); len(items) != 0 {
		t.Fatalf("refused form enqueued %d items", len(items))
	}

	r = citizen.PostForm("/chat/offline", url.Values{"question": {question}, "name": {"Giàng Seo Phử"}, "contact": {"0912000111"}, "consent": {"1"}})
	m := leftCode.FindStringSubmatch(r.Header.Get("Location"))
	if r.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("offline form: %d Location %q, want 303 to /chat?left=code", r.StatusCode, r.Header.Get("Location"))
	}
	code := m[1]
	page = pageOf(t, citizen.Do("GET", "/chat?lang=en&left="+url.QueryEscape(code), nil, nil))
	if !strings.Contains(page, code) || !strings.Contains(page, `href="/tra-cuu?code=`+code) {
		t.Errorf("the page after the form does not show code %s with a link to /tra-cuu", code)
	}
	items := chatItems(t, mod)
	if len(items) != 1 {
		t.Fatalf("queue holds %d chat items, want 1", len(items))
	}
	it := items[0]
	if it.Content != question || it.Contact != "0912000111" || it.Status != "pending" || it.TrackingCode != code {
		t.Errorf("queue item = %+v, want the question, the contact, pending, code %s", it, code)
	}
	// A moderator answers it in the queue; the citizen reads the answer by the code.
	for _, step := range []struct {
		action string
		body   map[string]string
	}{{"claim", map[string]string{}}, {"answer", map[string]string{"body": "Cần đơn đề nghị và sổ đỏ cũ, nộp tại bộ phận một cửa."}}} {
		if r := mod.Do("POST", fmt.Sprintf("/api/v1/moderation/items/%d/%s", it.ID, step.action), step.body, nil); r.StatusCode != 200 {
			t.Fatalf("%s: %d %s", step.action, r.StatusCode, pageOf(t, r))
		}
	}
	var tr struct {
		Status, Answer string
		Notifications  []struct{ Event string }
	}
	if r := citizen.Do("GET", "/api/v1/track/"+code, nil, &tr); r.StatusCode != 200 || tr.Answer != "Cần đơn đề nghị và sổ đỏ cũ, nộp tại bộ phận một cửa." {
		t.Errorf("tracking %s: %d %+v, want the moderator's answer", code, r.StatusCode, tr)
	}
	// The contact left with consent is told (no gateway here: the outbox
	// keeps the notifications, and the tracking page lists them).
	if events := fmt.Sprint(tr.Notifications); !strings.Contains(events, "received") || !strings.Contains(events, "answered") {
		t.Errorf("tracking %s lists notifications %s, want received and answered", code, events)
	}

	// The form is limited per address like opening a chat: 10 in 10 minutes
	// (the two above count), then a readable 429 page that stores nothing.
	for i := 3; i <= 11; i++ {
		r := citizen.PostForm("/chat/offline?lang=en", url.Values{"question": {fmt.Sprintf("Câu hỏi số %d", i)}})
		switch {
		case i <= 10 && r.StatusCode != http.StatusSeeOther:
			t.Fatalf("offline question %d: %d, want 303", i, r.StatusCode)
		case i == 11 && (r.StatusCode != http.StatusTooManyRequests || !strings.Contains(pageOf(t, r), "<html")):
			t.Fatalf("offline question %d: %d, want a 429 page", i, r.StatusCode)
		}
	}
	if items := chatItems(t, mod); len(items) != 9 {
		t.Errorf("queue holds %d chat items after the limit, want 9", len(items))
	}

	// With a moderator on the console, /chat offers the live chat again.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws := dialAs(t, ctx, n, nil, modToken)
	_ = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"join","room":"queue"}`))
	waitFrame(t, ctx, ws, "joined", "queue")
	for {
		page = pageOf(t, citizen.Do("GET", "/chat?lang=en", nil, nil))
		if strings.Contains(page, `action="/chat"`) && !strings.Contains(page, "No officer is online now.") {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("with a moderator on the console, /chat still offers only the offline form")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// An operator is online but nobody takes the chat within CHAT_ACCEPT_WAIT:
// the waiting citizen's socket gets an "offline" frame, the page shows the
// form, and the question left there turns the conversation into a queue
// item with the contact.
func TestChatAcceptWaitTurnsIntoOfflineForm(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "", withEnv("CHAT_ACCEPT_WAIT", "1s"))
	MustCreateUser(t, n, "moderator", "mod-wait", "correct horse battery")
	mod, citizen := newClient(t, n), newClient(t, n)
	modToken := mod.MustLogin("mod-wait", "correct horse battery")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	ops := dialAs(t, ctx, n, nil, modToken)
	_ = ops.Write(ctx, websocket.MessageText, []byte(`{"type":"join","room":"queue"}`))
	waitFrame(t, ctx, ops, "joined", "queue")

	for !strings.Contains(pageOf(t, citizen.Do("GET", "/chat", nil, nil)), `action="/chat"`) {
		if ctx.Err() != nil {
			t.Fatal("/chat never offered a live chat with a moderator online")
		}
		time.Sleep(100 * time.Millisecond)
	}
	r := citizen.PostForm("/chat", url.Values{"name": {"Vàng Thị Mai"}, "topic": {"trợ cấp học sinh"}, "consent": {"1"}, "js": {"1"}}) // as livechat.js marks it
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("open chat: %d", r.StatusCode)
	}
	var conv struct {
		ID   int64
		Room string
	}
	var shown struct {
		Conversation struct {
			ID   int64
			Room string
		}
	}
	u, _ := url.Parse(n.URL)
	for _, ck := range citizen.http.Jar.Cookies(u) {
		if ck.Name == "lc_conv" {
			fmt.Sscanf(ck.Value, "%d.", &conv.ID)
		}
	}
	if r := citizen.Do("GET", fmt.Sprintf("/api/v1/conversations/%d", conv.ID), nil, &shown); r.StatusCode != 200 {
		t.Fatalf("conversation %d: %d", conv.ID, r.StatusCode)
	}
	conv.Room = shown.Conversation.Room
	ws := dialAs(t, ctx, n, citizen, "")
	_ = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"join","room":"`+conv.Room+`"}`))
	waitFrame(t, ctx, ws, "offline", conv.Room)

	page := pageOf(t, citizen.Do("GET", "/chat?lang=en", nil, nil))
	if !strings.Contains(page, `<section class="card" id="lc-offline">`) || !strings.Contains(page, "trợ cấp học sinh</textarea>") {
		t.Errorf("after the wait the chat page does not show the offline form, prefilled with the topic")
	}
	question := "Con tôi học lớp 6 có được trợ cấp gạo không?"
	r = citizen.PostForm("/chat/offline", url.Values{"question": {question}, "contact": {"mai@example.vn"}, "consent": {"1"}})
	m := leftCode.FindStringSubmatch(r.Header.Get("Location"))
	if r.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("offline form: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	items := chatItems(t, mod)
	if len(items) != 1 || items[0].Ref != fmt.Sprint(conv.ID) || items[0].Content != question || items[0].Contact != "mai@example.vn" || items[0].TrackingCode != m[1] {
		t.Fatalf("queue = %+v, want conversation %d's question and contact under code %s", items, conv.ID, m[1])
	}
	// It left the waiting list: an operator can no longer take it.
	wantError(t, mod.Do("POST", fmt.Sprintf("/api/v1/conversations/%d/accept", conv.ID), nil, nil), 409, "not_waiting")
}

// mustOperatorOnline keeps a chat operator's socket in the queue room
// until t ends, so /chat offers a live chat (with nobody on the console it
// offers the offline question form).
func mustOperatorOnline(t *testing.T, n *node, login, password string) {
	t.Helper()
	tok := newClient(t, n).MustLogin(login, password)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws := dialAs(t, ctx, n, nil, tok)
	_ = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"join","room":"queue"}`))
	waitFrame(t, ctx, ws, "joined", "queue")
	go func() { // reads (and so answers pings) until the socket closes with t
		for {
			if _, _, err := ws.Read(context.Background()); err != nil {
				return
			}
		}
	}()
}
