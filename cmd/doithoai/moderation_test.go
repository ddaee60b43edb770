package main

import (
	"bufio"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestConsoleEventsAcrossNodes: a question asked on one node appears as a
// server-sent event on a console connected to another node.
func TestConsoleEventsAcrossNodes(t *testing.T) {
	t.Parallel()
	a := MustSeededNode(t)
	b := MustStartNode(t, a.DBURL)
	m := newClient(t, b)
	m.MustLogin("mod1", "mod1-password")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.URL+"/console/events", nil)
	resp, err := m.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// "ready": this viewer is subscribed and node b is listening.
	ready := false
	for l := range lines {
		if ready = l == "event: ready"; ready {
			break
		}
	}
	if !ready {
		t.Fatal("the stream ended without a ready event")
	}
	q := mustAsk(t, newClient(t, a), "Câu hỏi từ nút A", "Nội dung hỏi trên một nút khác.", "dat-dai")
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("stream closed")
			}
			if strings.HasPrefix(l, "data: ") && strings.Contains(l, `"event":"created"`) && strings.Contains(l, `"source":"forum_question"`) {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no event for question %d", q.ID)
		}
	}
}

func TestModerationActions(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	anon, m := newClient(t, n), newClient(t, n)
	m.MustLogin("mod1", "mod1-password")
	MustCreateUser(t, n, "leader", "leader1", "leader-password")
	ld := newClient(t, n)
	ld.MustLogin("leader1", "leader-password")

	q1 := mustAsk(t, anon, "Thiếu thông tin về hộ khẩu", "Tôi muốn hỏi về thủ tục nhập hộ khẩu.", "khac")
	it := mustModerate(t, m, q1.ID, map[string]any{"action": "request-info", "message": "Xin cho biết xã nơi bạn ở."})
	var tr struct{ Status, Reason string }
	anon.MustDo("GET", "/api/v1/track/"+q1.TrackingCode, nil, &tr)
	if tr.Status != "info_requested" || tr.Reason != "Xin cho biết xã nơi bạn ở." {
		t.Fatalf("track after request-info: %+v", tr)
	}
	path := fmt.Sprintf("/api/v1/moderation/items/%d/", it.ID)
	m.MustDo("POST", path+"claim", nil, nil)
	wantError(t, m.Do("POST", path+"route", map[string]string{"department": "khong-co"}, nil), 400, "unknown_department")
	var routed struct{ Department string }
	if r := m.Do("POST", path+"route", map[string]string{"department": "dan-toc"}, &routed); r.StatusCode != 200 || routed.Department != "dan-toc" {
		t.Fatalf("route: %d %+v", r.StatusCode, routed)
	}
	var esc struct{ Escalated bool }
	if r := m.Do("POST", path+"escalate", map[string]string{"note": "Cần ý kiến lãnh đạo"}, &esc); r.StatusCode != 200 || !esc.Escalated {
		t.Fatalf("escalate: %d %+v", r.StatusCode, esc)
	}
	// A leader directs without claiming; the moderator keeps the item.
	if r := ld.Do("POST", path+"directive", map[string]any{"note": "Phối hợp với Ban Dân tộc trả lời trong tuần", "department": "dan-toc", "deadline": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)}, nil); r.StatusCode != 200 {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("directive: %d %s", r.StatusCode, b)
	}
	var detail struct {
		Assignee   *string
		Directives []struct{ Leader, Note, Department, Status string }
		History    []struct{ Actor, Action string }
	}
	m.MustDo("GET", fmt.Sprintf("/api/v1/moderation/items/%d", it.ID), nil, &detail)
	if detail.Assignee == nil || *detail.Assignee != "mod1" || len(detail.Directives) != 1 || detail.Directives[0].Leader != "leader1" || detail.Directives[0].Status != "open" {
		t.Fatalf("detail after directive: %+v", detail)
	}
	// Merge a duplicate into the first question.
	q2 := mustAsk(t, anon, "Hỏi lại về hộ khẩu", "Thủ tục nhập hộ khẩu cho con thế nào?", "khac")
	it2 := mustModerate(t, m, q2.ID)
	wantError(t, m.Do("POST", fmt.Sprintf("/api/v1/moderation/items/%d/merge", it2.ID), map[string]any{"into": it2.ID}, nil), 400, "bad_merge")
	if r := m.Do("POST", fmt.Sprintf("/api/v1/moderation/items/%d/merge", it2.ID), map[string]any{"into": it.ID}, nil); r.StatusCode != 200 {
		t.Fatalf("merge: %d", r.StatusCode)
	}
	anon.MustDo("GET", "/api/v1/track/"+q2.TrackingCode, nil, &tr)
	if tr.Status != "merged" {
		t.Fatalf("merged question tracks as %q", tr.Status)
	}
	// Reject with a reason the author sees.
	q3 := mustAsk(t, anon, "Quảng cáo bán hàng", "Mua thuốc giá rẻ tại đây!!!", "khac")
	mustModerate(t, m, q3.ID, map[string]any{"action": "reject", "reason": "Nội dung quảng cáo"})
	anon.MustDo("GET", "/api/v1/track/"+q3.TrackingCode, nil, &tr)
	if tr.Status != "rejected" || tr.Reason != "Nội dung quảng cáo" {
		t.Fatalf("rejected: %+v", tr)
	}
	// Leaders see contacts masked; moderators in full.
	var q4 questionCreated
	anon.MustDo("POST", "/api/v1/questions", map[string]any{"title": "Hỏi có số điện thoại", "body": "Xin gọi lại cho tôi khi có trả lời.", "category": "khac", "contact": "0912345678", "consent": true}, &q4)
	var ml, ll struct {
		Items []struct{ Ref, Contact string }
	}
	m.MustDo("GET", "/api/v1/moderation/items?source=forum_question", nil, &ml)
	ld.MustDo("GET", "/api/v1/moderation/items?source=forum_question", nil, &ll)
	contact := func(list []struct{ Ref, Contact string }) string {
		for _, i := range list {
			if i.Ref == fmt.Sprint(q4.ID) {
				return i.Contact
			}
		}
		return "?"
	}
	if contact(ml.Items) != "+84912345678" || contact(ll.Items) != "+84******678" { // stored in E.164
		t.Fatalf("contacts: moderator %q, leader %q", contact(ml.Items), contact(ll.Items))
	}
}

func TestMyQuestionsAndFeed(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	cit, m := newClient(t, n), newClient(t, n)
	cit.MustLogin("0911222333", "citizen-password")
	m.MustLogin("mod1", "mod1-password")
	var q questionCreated
	if r := cit.Do("POST", "/api/v1/questions", map[string]any{"title": "Câu hỏi của người đã đăng nhập", "body": "Tôi hỏi khi đã đăng nhập tài khoản.", "category": "dat-dai", "consent": true}, &q); r.StatusCode != 201 {
		t.Fatalf("ask signed in: %d", r.StatusCode)
	}
	r := cit.Do("GET", "/cua-toi", nil, nil)
	page, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 || !strings.Contains(string(page), "Câu hỏi của người đã đăng nhập") || !strings.Contains(string(page), q.TrackingCode) {
		t.Fatalf("my questions: %d", r.StatusCode)
	}
	if r := newClient(t, n).Do("GET", "/cua-toi", nil, nil); r.StatusCode != 303 {
		t.Fatalf("anonymous /cua-toi: %d", r.StatusCode)
	}
	mustModerate(t, m, q.ID, map[string]any{"action": "answer", "body": "Trả lời cho **feed**."})
	r = newClient(t, n).Do("GET", "/feed.atom", nil, nil)
	var feed struct {
		Entries []struct {
			Title   string `xml:"title"`
			Content string `xml:"content"`
		} `xml:"entry"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := xml.Unmarshal(body, &feed); err != nil || r.Header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
		t.Fatalf("feed: %v %s", err, r.Header.Get("Content-Type"))
	}
	if len(feed.Entries) != 1 || feed.Entries[0].Title != "Câu hỏi của người đã đăng nhập" || !strings.Contains(feed.Entries[0].Content, "<strong>feed</strong>") {
		t.Fatalf("feed entries %+v", feed.Entries)
	}
}
