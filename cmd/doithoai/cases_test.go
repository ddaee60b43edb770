package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/doithoai/doithoai/moderation"
)

// caseItem is the moderation API's item as these tests read it.
type caseItem struct {
	ID             int64
	Source         string
	Status         string
	Assignee       *string
	Content        string
	CitizenPhone   string `json:"citizen_phone"`
	CaseID         *int64 `json:"case_id"`
	CitizenHistory []struct {
		ID     int64
		Source string
	} `json:"citizen_history"`
	History []struct{ Actor, Action, Note string }
}

type tracking struct {
	Code          string `json:"tracking_code"`
	Status        string
	Answer        string
	InfoRequested string                           `json:"info_requested"`
	MergedInto    *struct{ Status, Answer string } `json:"merged_into"`
	Case          []struct {
		Source, Status, Answer string
		Current                bool
	}
}

func askJSON(t *testing.T, c *client, body map[string]any) questionCreated {
	t.Helper()
	base := map[string]any{"category": "chinh-sach-xa-hoi", "province": "Hà Giang", "consent": true}
	for k, v := range body {
		base[k] = v
	}
	var q questionCreated
	if r := c.Do("POST", "/api/v1/questions", base, &q); r.StatusCode != 201 {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("ask: %d %s", r.StatusCode, b)
	}
	return q
}

func itemOfCode(t *testing.T, d *feedbackDB, code string) int64 {
	t.Helper()
	return int64(d.Count(`SELECT id FROM moderation_items WHERE tracking_code = $1`, moderation.NormalizeCode(code)))
}

func act(t *testing.T, m *client, id int64, action string, in map[string]any) {
	t.Helper()
	if r := m.Do("POST", fmt.Sprintf("/api/v1/moderation/items/%d/%s", id, action), in, nil); r.StatusCode != 200 {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("%s #%d: %d %s", action, id, r.StatusCode, b)
	}
}

func bodyOf(t *testing.T, c *client, path string) (int, string) {
	t.Helper()
	r := c.Do("GET", path, nil, nil)
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(b)
}

// TestOnePersonAcrossChannels: one citizen writes her number three ways on
// the forum, the live session and the hotline, and chats signed in; the
// console's history of her forum item lists the hotline, live and chat
// items, and not the items of another citizen who typed the same name.
func TestOnePersonAcrossChannels(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	MustCreateUser(t, n, "admin", "admin1", "correct horse battery")
	MustCreateUser(t, n, "leader", "chutich", "correct horse battery")
	d := newFeedbackDB(t, n.DBURL)
	admin, mod, her, other := newClient(t, n), newClient(t, n), newClient(t, n), newClient(t, n)
	admin.MustLogin("admin1", "correct horse battery")
	mod.MustLogin("mod1", "mod1-password")
	her.MustLogin("0911222333", "citizen-password")

	// Forum, signed in, number with spaces.
	q := askJSON(t, her, map[string]any{"title": "Hỗ trợ vay vốn hộ nghèo", "body": "Xin hỏi thủ tục vay vốn ưu đãi cho hộ nghèo ở xã tôi.",
		"name": "Nguyễn Thị Lan", "contact": "0912 345 678"})
	forumItem := itemOfCode(t, d, q.TrackingCode)

	// Hotline: the caller ID as the carrier sent it, through the ticket store voicemail uses.
	tickets := callcenter.NewStore(d.pool, d.svc)
	tk, err := tickets.CreateTicket(context.Background(), callcenter.NewTicket{CallID: "c-1", Caller: "84912345678", Hotline: "1022",
		Language: "vi", Topic: "chinh-sach", Consent: "dtmf:1", ConsentAt: time.Now(), ReceivedAt: time.Now(), IVRPath: []string{"1"}})
	if err != nil {
		t.Fatal(err)
	}
	hotlineItem := int64(d.Count(`SELECT item_id FROM hotline_tickets WHERE id = $1`, tk.ID))

	// Live session: anonymous, number written with its country code.
	var ss struct{ ID int64 }
	if r := admin.Do("POST", "/api/v1/live-sessions", map[string]any{"title": "Giao lưu chính sách", "starts_at": time.Now().Add(-time.Minute), "leaders": []string{"chutich"}}, &ss); r.StatusCode != 201 {
		t.Fatalf("schedule: %d", r.StatusCode)
	}
	var lq struct{ ID int64 }
	anon := newClient(t, n)
	wantError(t, anon.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions", ss.ID), map[string]any{"body": "Khi nào có kết quả?", "phone": "0912 345 678"}, nil), 400, "consent_required")
	wantError(t, anon.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions", ss.ID), map[string]any{"body": "Khi nào có kết quả?", "phone": "gọi tôi", "consent": true}, nil), 400, "bad_phone")
	if r := anon.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions", ss.ID), map[string]any{"body": "Khi nào có kết quả vay vốn?", "name": "Nguyễn Thị Lan", "phone": "(+84) 912-345-678", "consent": true}, &lq); r.StatusCode != 201 {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("live question: %d %s", r.StatusCode, b)
	}
	liveItem := int64(d.Count(`SELECT item_id FROM live_questions WHERE id = $1`, lq.ID))

	// Support chat, signed in: recognised by her account.
	var conv struct{ ID int64 }
	if r := her.Do("POST", "/api/v1/conversations", map[string]any{"topic": "Vay vốn", "consent": true}, &conv); r.StatusCode != 201 {
		t.Fatalf("open chat: %d", r.StatusCode)
	}
	if r := her.Do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", conv.ID), map[string]any{}, nil); r.StatusCode != 200 {
		t.Fatalf("close chat: %d", r.StatusCode)
	}
	chatItem := int64(d.Count(`SELECT id FROM moderation_items WHERE source = 'chat_conversation' AND ref = $1`, fmt.Sprint(conv.ID)))

	// Another citizen with the same display name, on the forum and live.
	q2 := askJSON(t, other, map[string]any{"title": "Cấp đổi căn cước", "body": "Xin hỏi cấp đổi căn cước ở đâu cho người cao tuổi?",
		"name": "Nguyễn Thị Lan", "contact": "0987 654 321"})
	otherForum := itemOfCode(t, d, q2.TrackingCode)
	if r := other.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions", ss.ID), map[string]any{"body": "Tôi cũng hỏi về vay vốn", "name": "Nguyễn Thị Lan", "consent": true}, &lq); r.StatusCode != 201 {
		t.Fatalf("other live question: %d", r.StatusCode)
	}
	otherLive := int64(d.Count(`SELECT item_id FROM live_questions WHERE id = $1`, lq.ID))

	// Every phone variant became one key.
	if got := d.Count(`SELECT count(*) FROM moderation_items WHERE citizen_phone = '+84912345678' AND id = ANY($1)`, []int64{forumItem, hotlineItem, liveItem}); got != 3 {
		t.Fatalf("items under +84912345678: %d of 3", got)
	}
	wantError(t, anon.Do("POST", "/api/v1/questions", map[string]any{"title": "Câu hỏi thử nghiệm", "body": "Nội dung câu hỏi thử nghiệm dài.",
		"category": "chinh-sach-xa-hoi", "consent": true, "contact": "số nhà 5"}, nil), 400, "bad_contact")

	var detail caseItem
	if r := mod.Do("GET", fmt.Sprintf("/api/v1/moderation/items/%d", forumItem), nil, &detail); r.StatusCode != 200 {
		t.Fatalf("item: %d", r.StatusCode)
	}
	got := map[int64]string{}
	for _, h := range detail.CitizenHistory {
		got[h.ID] = h.Source
	}
	for id, src := range map[int64]string{hotlineItem: "hotline_ticket", liveItem: "live_question", chatItem: "chat_conversation"} {
		if got[id] != src {
			t.Errorf("history of #%d lacks %s #%d: %+v", forumItem, src, id, detail.CitizenHistory)
		}
	}
	for _, id := range []int64{otherForum, otherLive, forumItem} {
		if _, ok := got[id]; ok {
			t.Errorf("history of #%d lists #%d (another person with the same name, or itself): %+v", forumItem, id, detail.CitizenHistory)
		}
	}
	// The console page links each of them.
	status, page := bodyOf(t, mod, fmt.Sprintf("/console/items/%d", forumItem))
	if status != 200 {
		t.Fatalf("console item: %d", status)
	}
	for _, id := range []int64{hotlineItem, liveItem, chatItem} {
		if !strings.Contains(page, fmt.Sprintf(`href="/console/items/%d"`, id)) {
			t.Errorf("console page of #%d has no link to #%d", forumItem, id)
		}
	}
	for _, id := range []int64{otherForum, otherLive} {
		if strings.Contains(page, fmt.Sprintf(`href="/console/items/%d"`, id)) {
			t.Errorf("console page of #%d links #%d of another person", forumItem, id)
		}
	}
	// From the hotline ticket, the caller's forum and live items.
	mod.MustDo("GET", fmt.Sprintf("/api/v1/moderation/items/%d", hotlineItem), nil, &detail)
	got = map[int64]string{}
	for _, h := range detail.CitizenHistory {
		got[h.ID] = h.Source
	}
	if got[forumItem] != "forum_question" || got[liveItem] != "live_question" {
		t.Errorf("hotline history: %+v", detail.CitizenHistory)
	}
}

// TestCaseCodeContinuesTheCase: a second question with the first one's
// code joins its case, and either code's tracking page shows both.
func TestCaseCodeContinuesTheCase(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	d := newFeedbackDB(t, n.DBURL)
	anon := newClient(t, n)
	first := askJSON(t, anon, map[string]any{"title": "Đường vào bản bị sạt lở", "body": "Đường vào bản Khuổi My bị sạt lở sau mưa lũ, xe không đi được."})
	wantError(t, anon.Do("POST", "/api/v1/questions", map[string]any{"title": "Tiếp theo việc sạt lở", "body": "Bổ sung thông tin về việc sạt lở.",
		"category": "chinh-sach-xa-hoi", "case_code": "ZZZZ2222"}, nil), 400, "unknown_case_code")
	second := askJSON(t, anon, map[string]any{"title": "Tiếp theo việc sạt lở", "body": "Đã một tuần chưa có ai đến khắc phục đường vào bản.",
		"case_code": strings.ToLower(first.TrackingCode)})
	firstID, secondID := itemOfCode(t, d, first.TrackingCode), itemOfCode(t, d, second.TrackingCode)
	if got := d.Count(`SELECT coalesce(case_id, 0) FROM moderation_items WHERE id = $1`, secondID); int64(got) != firstID {
		t.Fatalf("second item's case_id = %d, want %d", got, firstID)
	}
	for _, code := range []string{first.TrackingCode, second.TrackingCode} {
		var tr tracking
		if r := anon.Do("GET", "/api/v1/track/"+code, nil, &tr); r.StatusCode != 200 || len(tr.Case) != 2 {
			t.Fatalf("track %s: %d %+v", code, r.StatusCode, tr)
		}
		status, page := bodyOf(t, anon, "/tra-cuu?code="+code)
		if status != 200 || !strings.Contains(page, `id="track-case"`) || strings.Count(page, "<li") < 2 {
			t.Fatalf("case page for %s: %d\n%s", code, status, page)
		}
	}
	// The console shows the case on the new item, linking the first.
	mod := newClient(t, n)
	mod.MustLogin("mod1", "mod1-password")
	if status, page := bodyOf(t, mod, fmt.Sprintf("/console/items/%d", secondID)); status != 200 || !strings.Contains(page, `id="case"`) ||
		!strings.Contains(page, fmt.Sprintf(`href="/console/items/%d"`, firstID)) {
		t.Fatalf("console page of the second item: %d\n%s", status, page)
	}
}

// TestMergedCodeShowsTargetAnswer: a duplicate merged before its target is
// answered shows that answer on its own code, API and page.
func TestMergedCodeShowsTargetAnswer(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	d := newFeedbackDB(t, n.DBURL)
	anon, mod := newClient(t, n), newClient(t, n)
	mod.MustLogin("mod1", "mod1-password")
	target := askJSON(t, anon, map[string]any{"title": "Tiền điện tăng bất thường", "body": "Hóa đơn tiền điện tháng này tăng gấp đôi, xin giải thích."})
	dup := askJSON(t, newClient(t, n), map[string]any{"title": "Hóa đơn điện tăng gấp đôi", "body": "Nhà tôi cũng bị hóa đơn tiền điện tăng gấp đôi."})
	targetID, dupID := itemOfCode(t, d, target.TrackingCode), itemOfCode(t, d, dup.TrackingCode)
	act(t, mod, dupID, "claim", nil)
	act(t, mod, dupID, "merge", map[string]any{"into": targetID})
	var tr tracking
	anon.MustDo("GET", "/api/v1/track/"+dup.TrackingCode, nil, &tr)
	if tr.Status != "merged" || tr.MergedInto == nil || tr.Answer != "" {
		t.Fatalf("merged, target unanswered: %+v", tr)
	}
	answer := "Giá điện bậc thang tăng từ tháng 5; cán bộ điện lực sẽ kiểm tra công tơ nhà bạn."
	act(t, mod, targetID, "claim", nil)
	act(t, mod, targetID, "approve", nil)
	act(t, mod, targetID, "answer", map[string]any{"body": answer})
	tr = tracking{}
	if r := anon.Do("GET", "/api/v1/track/"+dup.TrackingCode, nil, &tr); r.StatusCode != 200 || tr.Answer != answer || tr.MergedInto == nil || tr.MergedInto.Status != "answered" {
		t.Fatalf("merged code after the target's answer: %d %+v", r.StatusCode, tr)
	}
	if status, page := bodyOf(t, anon, "/tra-cuu?code="+dup.TrackingCode); status != 200 || !strings.Contains(page, answer) || !strings.Contains(page, `id="track-merged"`) {
		t.Fatalf("merged tracking page: %d\n%s", status, page)
	}
	// The notify helper's query: the answered target knows its duplicates.
	ctx := context.Background()
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	merged, err := d.svc.Store.FindMergedInto(ctx, tx, targetID)
	if err != nil || len(merged) != 1 || merged[0].ID != dupID {
		t.Fatalf("FindMergedInto(%d) = %+v, %v", targetID, merged, err)
	}
}

// TestRequestInfoReply: the moderator asks for more, the tracking page
// shows the request and a form, the citizen replies, and the item is back
// in the queue with the same assignee and the reply in its history.
func TestRequestInfoReply(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	d := newFeedbackDB(t, n.DBURL)
	anon, mod := newClient(t, n), newClient(t, n)
	mod.MustLogin("mod1", "mod1-password")
	q := askJSON(t, anon, map[string]any{"title": "Trợ cấp người khuyết tật", "body": "Mẹ tôi bị khuyết tật nặng, xin hỏi chế độ trợ cấp."})
	id := itemOfCode(t, d, q.TrackingCode)
	act(t, mod, id, "claim", nil)
	request := "Xin cho biết mức độ khuyết tật đã được xác định và địa chỉ thường trú."
	act(t, mod, id, "request-info", map[string]any{"message": request})

	status, page := bodyOf(t, anon, "/tra-cuu?code="+q.TrackingCode)
	if status != 200 || !strings.Contains(page, request) || !strings.Contains(page, `action="/tra-cuu/tra-loi"`) {
		t.Fatalf("tracking page with a request: %d\n%s", status, page)
	}
	wantError(t, anon.Do("POST", "/api/v1/track/"+q.TrackingCode+"/reply", map[string]any{"body": "  "}, nil), 400, "body_required")
	reply := "Khuyết tật đặc biệt nặng, thường trú tại thôn Nà Ca, xã Tùng Bá."
	r := anon.PostForm("/tra-cuu/tra-loi", url.Values{"code": {q.TrackingCode}, "body": {reply}})
	if r.StatusCode != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/tra-cuu?") {
		t.Fatalf("reply form: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if status, page = bodyOf(t, anon, r.Header.Get("Location")); status != 200 || strings.Contains(page, `id="track-reply"`) || !strings.Contains(page, `role="status"`) {
		t.Fatalf("after the reply: %d\n%s", status, page)
	}
	var it caseItem
	mod.MustDo("GET", fmt.Sprintf("/api/v1/moderation/items/%d", id), nil, &it)
	if it.Status != "pending" || it.Assignee == nil || *it.Assignee != "mod1" || !strings.Contains(it.Content, reply) {
		t.Fatalf("item after the reply: %+v", it)
	}
	last := it.History[len(it.History)-1]
	if last.Action != "citizen_reply" || last.Note != reply {
		t.Fatalf("history: %+v", it.History)
	}
	var queue struct{ Items []struct{ ID int64 } }
	mod.MustDo("GET", "/api/v1/moderation/items?status=pending,approved", nil, &queue)
	inQueue := false
	for _, x := range queue.Items {
		inQueue = inQueue || x.ID == id
	}
	if !inQueue {
		t.Fatalf("replied item not in the queue: %+v", queue)
	}
	// Once answered, a second reply is refused; the assignee can act again.
	wantError(t, anon.Do("POST", "/api/v1/track/"+q.TrackingCode+"/reply", map[string]any{"body": "thêm nữa"}, nil), 409, "no_info_requested")
	act(t, mod, id, "claim", nil)
	act(t, mod, id, "approve", nil)
}

// TestRegisterPhoneIsOneAccount: a number registered as "(+84) 912-345-670"
// is the account 0912345670; the same number written another way is taken,
// and the citizen logs in however she writes it with spaces.
func TestRegisterPhoneIsOneAccount(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	d := newFeedbackDB(t, n.DBURL)
	c := newClientFrom(t, n, "127.0.0.61")
	if r := c.PostForm("/register", registerForm("(+84) 912-345-670")); r.StatusCode != 303 {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("register: %d %s", r.StatusCode, b)
	}
	if got := d.Count(`SELECT count(*) FROM users WHERE login = '0912345670'`); got != 1 {
		t.Fatalf("accounts with login 0912345670: %d", got)
	}
	for _, again := range []string{"+84912345670", "84912345670", "0912 345 670"} {
		if r := newClientFrom(t, n, "127.0.0.62").PostForm("/register", registerForm(again)); r.StatusCode != 409 {
			t.Errorf("second registration as %q: %d, want 409 taken", again, r.StatusCode)
		}
	}
	if got := d.Count(`SELECT count(*) FROM users`); got != 1 {
		t.Fatalf("%d accounts, want 1", got)
	}
	for _, typed := range []string{"0912345670", "0912 345 670", "(+84) 912 345 670"} {
		if r := newClient(t, n).Do("POST", "/api/v1/session", map[string]string{"login": typed, "password": "a good password"}, nil); r.StatusCode != 200 && r.StatusCode != 201 {
			t.Errorf("login as %q: %d", typed, r.StatusCode)
		}
	}
}
