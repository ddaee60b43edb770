package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/livechat"
)

// A citizen on a phone opens a support chat without an account, a
// moderator takes it in the console, they talk, the citizen ends it with a
// rating, and the transcript is a chat_conversation item in the queue.
func TestLivechatBrowserSupportChat(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	MustCreateUser(t, n, "moderator", "mod1", "correct horse battery")
	mustOperatorOnline(t, n, "mod1", "correct horse battery")
	tr := livechatText(t)
	citizen := testenv.Browser(t)
	mod := testenv.Browser(t) // a browser of its own: separate cookies

	run := func(ctx context.Context, what string, actions ...chromedp.Action) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Run(tctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	waitText := func(ctx context.Context, sel, want string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			if want == "" { // any text contains "": a missing catalog key would pass
				return fmt.Errorf("waitText %s: no text to wait for", sel)
			}
			for {
				var got string
				if err := chromedp.Text(sel, &got, chromedp.ByQuery).Do(ctx); err == nil && strings.Contains(got, want) {
					return nil
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	}

	run(citizen, "open a chat",
		chromedp.Navigate(n.URL+"/chat"),
		chromedp.SendKeys("#name", "Lò Thị Mai", chromedp.ByID),
		chromedp.SendKeys("#topic", "Hỏi về hộ nghèo", chromedp.ByID),
		chromedp.Click(`input[name="consent"]`, chromedp.ByQuery),
		chromedp.Click("#lc-start", chromedp.ByID),
		chromedp.WaitVisible("#lc-log", chromedp.ByID),
		waitText(citizen, "#lc-pos", "1"))

	run(mod, "log in and take the conversation",
		chromedp.Navigate(n.URL+"/login"),
		chromedp.SendKeys("#login", "mod1", chromedp.ByID),
		chromedp.SendKeys("#password", "correct horse battery", chromedp.ByID),
		chromedp.Submit("#password", chromedp.ByID),
		// Staff land on the console; waiting for something only it has keeps
		// the next navigation from cutting the login's redirect short.
		chromedp.WaitVisible("#claim-next", chromedp.ByID),
		chromedp.Navigate(n.URL+"/chat/console"),
		waitText(mod, "#lc-waiting", "Lò Thị Mai"),
		chromedp.Click("#lc-waiting button[data-accept]", chromedp.ByQuery),
		chromedp.WaitVisible("#lc-pane", chromedp.ByID))

	// The operator watches for the typing indicator while the citizen
	// types: it shows for 3 s after the last keystroke's event.
	typing := make(chan error, 1)
	go func() {
		tctx, cancel := context.WithTimeout(mod, 20*time.Second)
		defer cancel()
		typing <- chromedp.Run(tctx, waitText(mod, "#lc-typing", tr["chat.typing"]))
	}()
	run(citizen, "see the operator", waitText(citizen, "#lc-log", "mod1"))
	// Typing events are not stored: one sent before the operator's socket
	// has joined the room is gone. The citizen types the way people do, a
	// few characters at a time, until the operator sees the indicator.
	question := []rune("Gia đình tôi có được hỗ trợ không?")
	for i := 0; ; i += 4 {
		chunk := string(question[min(i, len(question)):min(i+4, len(question))])
		if chunk != "" {
			run(citizen, "type", chromedp.SendKeys("#lc-body", chunk, chromedp.ByID))
		}
		var err error
		select {
		case err = <-typing:
		case <-time.After(400 * time.Millisecond):
			continue
		}
		if err != nil {
			t.Fatalf("the operator never saw %q: %v", tr["chat.typing"], err)
		}
		if rest := string(question[min(i+4, len(question)):]); rest != "" {
			run(citizen, "type the rest", chromedp.SendKeys("#lc-body", rest, chromedp.ByID))
		}
		break
	}
	run(citizen, "send", chromedp.Click(`#lc-form button[type="submit"]`, chromedp.ByQuery))
	run(mod, "read and answer",
		waitText(mod, "#lc-log", "Gia đình tôi có được hỗ trợ không?"),
		chromedp.SendKeys("#lc-body", "Có, xin mang sổ hộ khẩu lên xã.", chromedp.ByID),
		chromedp.Click(`#lc-form button[type="submit"]`, chromedp.ByQuery))
	run(citizen, "read the answer and end with a rating",
		waitText(citizen, "#lc-log", "Có, xin mang sổ hộ khẩu lên xã."),
		chromedp.SetValue("#lc-rating", "5", chromedp.ByID),
		chromedp.Click(`#lc-close button`, chromedp.ByQuery),
		chromedp.WaitVisible(`a[href="/chat?new=1"]`, chromedp.ByQuery),
		waitText(citizen, "#lc-state", tr["chat.closed"]))
	run(mod, "see the end", waitText(mod, "#lc-log .msg.closed", tr["chat.closed"]))

	// The transcript and rating reached the moderation queue.
	c := newClient(t, n)
	c.MustLogin("mod1", "correct horse battery")
	var out struct {
		Items []struct {
			Source, Content string
			Meta            map[string]any
		}
	}
	if r := c.Do("GET", "/api/v1/moderation/items?source=chat_conversation", nil, &out); r.StatusCode != 200 {
		t.Fatalf("items: %d", r.StatusCode)
	}
	if len(out.Items) != 1 || !strings.Contains(out.Items[0].Content, "Gia đình tôi có được hỗ trợ không?") ||
		!strings.Contains(out.Items[0].Content, "Có, xin mang sổ hộ khẩu lên xã.") {
		t.Fatalf("chat_conversation items: %+v", out.Items)
	}
	if m := out.Items[0].Meta; m["rating"] != float64(5) || m["closed_by"] != "citizen" {
		t.Fatalf("the item's meta %v: want the citizen's rating 5", m)
	}
}

// livechatText is the Vietnamese text of a livechat message key, as the
// test browsers (vi-VN) are shown it.
func livechatText(t *testing.T) map[string]string {
	t.Helper()
	data, err := fs.ReadFile(livechat.Messages, "messages/vi.json")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// A conversation longer than a page of history (450 lines) opened in the
// operator's console: the client fetches page after page until caught up,
// every line shows once and in order, and then it is live.
func TestLivechatBrowserConsolePagesLongChat(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	MustCreateUser(t, n, "moderator", "mod1", "correct horse battery")
	citizen, api := newClient(t, n), newClient(t, n)
	var conv struct{ ID int64 }
	if r := citizen.Do("POST", "/api/v1/conversations", map[string]any{"name": "Sùng A Tủa", "topic": "giấy tờ đất", "consent": true}, &conv); r.StatusCode != 201 {
		t.Fatalf("open: %d", r.StatusCode)
	}
	api.MustLogin("mod1", "correct horse battery")
	if r := api.Do("POST", fmt.Sprintf("/api/v1/conversations/%d/accept", conv.ID), nil, nil); r.StatusCode != 200 {
		t.Fatalf("accept: %d", r.StatusCode)
	}
	// seq 1 is "accepted"; 450 lines follow, stored straight in PostgreSQL.
	pool, err := db.Open(context.Background(), n.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	room := fmt.Sprintf("conv:%d", conv.ID)
	if _, err := pool.Exec(context.Background(), `
		INSERT INTO chat_messages (room, seq, kind, body, author, author_role, sender)
		SELECT $1, g, 'text', 'dòng ' || g, 'Sùng A Tủa', 'citizen', 'c:' || $2::bigint
		FROM generate_series(2, 451) g`, room, conv.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), `UPDATE chat_rooms SET last_seq = 451 WHERE room = $1`, room); err != nil {
		t.Fatal(err)
	}

	mod := testenv.Browser(t)
	if err := browserLogin(mod, n.URL, "mod1", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	// The seqs shown in the console's log, in the order shown.
	seqs := func(out *[]int) chromedp.Action {
		return chromedp.Evaluate(`[...document.querySelectorAll('#lc-log .msg')].map(e => +e.dataset.seq)`, out)
	}
	waitLines := func(want int) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			for {
				var got []int
				if err := seqs(&got).Do(ctx); err == nil && len(got) >= want {
					return nil
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(100 * time.Millisecond):
				}
			}
		})
	}
	ctx, cancel := context.WithTimeout(mod, 60*time.Second)
	defer cancel()
	var got []int
	err = chromedp.Run(ctx,
		chromedp.WaitVisible("#claim-next", chromedp.ByID),
		chromedp.Navigate(n.URL+"/chat/console"),
		chromedp.Click(fmt.Sprintf(`#lc-mine button[data-open="%d"]`, conv.ID), chromedp.ByQuery),
		waitLines(451),
		chromedp.SendKeys("#lc-body", "Đã đọc hết, xin chờ.", chromedp.ByID),
		chromedp.Click(`#lc-form button[type="submit"]`, chromedp.ByQuery),
		waitLines(452),
		seqs(&got))
	if err != nil {
		screenshot(t, mod, "console-long-chat")
		_ = chromedp.Run(mod, seqs(&got))
		t.Fatalf("console: %v (lines %d)", err, len(got))
	}
	for i, s := range got {
		if s != i+1 {
			t.Fatalf("line %d has seq %d: %v", i, s, got)
		}
	}
	if len(got) != 452 {
		t.Fatalf("%d lines, want 452", len(got))
	}
}
