package main

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/moderation"
)

// chatItem is a chat_conversation item as the moderation API shows it.
type chatItem struct {
	ID           int64
	Status       string
	CitizenPhone string `json:"citizen_phone"`
	CaseID       *int64 `json:"case_id"`
	TrackingCode string `json:"tracking_code"`
	Meta         map[string]any
	DueAt        time.Time `json:"due_at"`
}

// TestChatWithPhoneAndEarlierCode: a citizen who asked on the forum comes
// back by chat with a phone (consent, notification chosen) and the earlier
// tracking code. A bad or unknown code and a phone without consent are
// refused with nothing stored. The operator ends the chat; the close
// notice names the operator, the citizen still rates it and the rating
// reaches the queue item, which is closed (no answer awaited), filed under
// the phone, linked to the forum case, and the case page shows both.
func TestChatWithPhoneAndEarlierCode(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	d := newFeedbackDB(t, n.DBURL)
	mod, citizen := newClient(t, n), newClient(t, n)
	mod.MustLogin("mod1", "mod1-password")
	first := askJSON(t, newClient(t, n), map[string]any{"title": "Đường vào bản bị sạt lở", "body": "Đường vào bản Khuổi My bị sạt lở sau mưa lũ, xe không đi được.",
		"contact": "+84 912 345 678"})
	forumItem := itemOfCode(t, d, first.TrackingCode)

	chats := func() int { return d.Count(`SELECT count(*) FROM chat_conversations`) }
	open := func(extra map[string]any) map[string]any {
		body := map[string]any{"topic": "Sạt lở đường", "consent": true}
		for k, v := range extra {
			body[k] = v
		}
		return body
	}
	wantError(t, citizen.Do("POST", "/api/v1/conversations", open(map[string]any{"case_code": "KHÔNG-MÃ"}), nil), 400, "bad_case_code")
	wantError(t, citizen.Do("POST", "/api/v1/conversations", open(map[string]any{"case_code": moderation.NewTrackingCode()}), nil), 400, "unknown_case_code")
	wantError(t, citizen.Do("POST", "/api/v1/conversations", open(map[string]any{"phone": "0912 345 678", "consent": false}), nil), 400, "consent_required")
	wantError(t, citizen.Do("POST", "/api/v1/conversations", open(map[string]any{"phone": "gọi tôi"}), nil), 400, "bad_phone")
	// The start form (as its script submits it) says so in the page, keeping what was typed.
	r := citizen.PostForm("/chat", map[string][]string{"js": {"1"}, "topic": {"Sạt lở đường"}, "phone": {"0912 345 678"}, "consent": {"1"}, "case_code": {moderation.NewTrackingCode()}})
	if page := pageOf(t, r); r.StatusCode != 422 || !strings.Contains(page, livechatText(t)["chat.err.unknown_case_code"]) || !strings.Contains(page, `value="0912 345 678"`) {
		t.Fatalf("start form with an unknown code: %d", r.StatusCode)
	}
	if got := chats(); got != 0 {
		t.Fatalf("%d conversations stored after refused starts", got)
	}

	var conv struct{ ID int64 }
	if r := citizen.Do("POST", "/api/v1/conversations", open(map[string]any{"phone": "0912 345 678", "notify": true,
		"case_code": first.TrackingCode[:4] + " " + first.TrackingCode[4:]}), &conv); r.StatusCode != 201 {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("open chat: %d %s", r.StatusCode, b)
	}
	var accepted struct{ Operator string }
	if r := mod.Do("POST", fmt.Sprintf("/api/v1/conversations/%d/accept", conv.ID), nil, &accepted); r.StatusCode != 200 || accepted.Operator == "" {
		t.Fatalf("accept: %d %+v", r.StatusCode, accepted)
	}
	if r := mod.Do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", conv.ID), map[string]any{}, nil); r.StatusCode != 200 {
		t.Fatalf("operator closes: %d", r.StatusCode)
	}

	// The close notice names who closed it, and the code is the citizen's.
	var shown struct {
		Conversation struct {
			TrackingCode string `json:"tracking_code"`
			Rating       *int
		}
		Messages []struct{ Kind, Author, AuthorRole string }
	}
	if r := citizen.Do("GET", fmt.Sprintf("/api/v1/conversations/%d", conv.ID), nil, &shown); r.StatusCode != 200 {
		t.Fatalf("show: %d", r.StatusCode)
	}
	last := shown.Messages[len(shown.Messages)-1]
	if last.Kind != "closed" || last.Author != accepted.Operator {
		t.Fatalf("close notice %+v: want it to name %q", last, accepted.Operator)
	}
	if shown.Conversation.TrackingCode == "" || shown.Conversation.Rating != nil {
		t.Fatalf("closed conversation %+v: want its code and no rating yet", shown.Conversation)
	}
	status, page := bodyOf(t, citizen, "/chat")
	for _, want := range []string{`id="lc-code">` + shown.Conversation.TrackingCode + `<`, `id="lc-rate"`, accepted.Operator} {
		if status != 200 || !strings.Contains(page, want) {
			t.Fatalf("chat page after the operator closed (%d) lacks %q", status, want)
		}
	}

	// Rated after the operator ended it: the rating reaches the item.
	wantError(t, citizen.Do("POST", fmt.Sprintf("/api/v1/conversations/%d/rating", conv.ID), map[string]any{"rating": 9}, nil), 400, "bad_rating")
	if r := citizen.Do("POST", fmt.Sprintf("/api/v1/conversations/%d/rating", conv.ID), map[string]any{"rating": 4}, nil); r.StatusCode != 204 {
		t.Fatalf("rate: %d", r.StatusCode)
	}
	var items struct{ Items []chatItem }
	if r := mod.Do("GET", "/api/v1/moderation/items?source=chat_conversation", nil, &items); r.StatusCode != 200 || len(items.Items) != 1 {
		t.Fatalf("chat items: %d %+v", r.StatusCode, items.Items)
	}
	it := items.Items[0]
	if it.Status != moderation.StatusClosed || it.Meta["rating"] != float64(4) || it.Meta["closed_by"] != "operator" ||
		it.CitizenPhone != "+84912345678" || it.CaseID == nil || *it.CaseID != forumItem || it.Meta[moderation.MetaNotify] != true ||
		it.TrackingCode != shown.Conversation.TrackingCode {
		t.Fatalf("chat item %+v: want closed, rated 4, +84912345678, in case #%d, notified", it, forumItem)
	}
	if it.DueAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("a closed chat is due %v: it waits for nothing", it.DueAt)
	}
	// Settled at once: nobody is told "received, answer due on …".
	if got := d.Count(`SELECT count(*) FROM notification_outbox WHERE item_id = $1`, it.ID); got != 0 {
		t.Errorf("%d notifications for a chat settled in the chat", got)
	}

	// The case page of either code shows both items.
	for _, code := range []string{first.TrackingCode, it.TrackingCode} {
		var tr tracking
		if r := newClient(t, n).Do("GET", "/api/v1/track/"+code, nil, &tr); r.StatusCode != 200 || len(tr.Case) != 2 {
			t.Fatalf("track %s: %d %+v", code, r.StatusCode, tr.Case)
		}
	}
	// The console's history of the chat item finds the forum question by
	// the phone, however it was written.
	var detail caseItem
	if r := mod.Do("GET", fmt.Sprintf("/api/v1/moderation/items/%d", it.ID), nil, &detail); r.StatusCode != 200 {
		t.Fatalf("item: %d", r.StatusCode)
	}
	if len(detail.CitizenHistory) != 1 || detail.CitizenHistory[0].ID != forumItem {
		t.Errorf("chat item history %+v: want the forum question #%d", detail.CitizenHistory, forumItem)
	}
}

// TestOfflineQuestionWithEarlierCode: the offline form's earlier code
// links the question to that case; a code of nobody's is refused and
// nothing is stored.
func TestOfflineQuestionWithEarlierCode(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	d := newFeedbackDB(t, n.DBURL)
	first := askJSON(t, newClient(t, n), map[string]any{"title": "Trợ cấp người cao tuổi", "body": "Mẹ tôi 80 tuổi, xin hỏi thủ tục nhận trợ cấp hằng tháng."})
	forumItem := itemOfCode(t, d, first.TrackingCode)
	c := newClient(t, n)
	form := func(code string) map[string][]string {
		return map[string][]string{"question": {"Đã nộp hồ sơ, bao giờ có kết quả?"}, "contact": {"0912 345 678"}, "consent": {"1"}, "case_code": {code}}
	}
	r := c.PostForm("/chat/offline", form(moderation.NewTrackingCode()))
	if r.StatusCode != 422 || !strings.Contains(pageOf(t, r), livechatText(t)["chat.err.unknown_case_code"]) {
		t.Fatalf("unknown code: %d", r.StatusCode)
	}
	if got := d.Count(`SELECT count(*) FROM chat_conversations`); got != 0 {
		t.Fatalf("%d conversations stored for a refused form", got)
	}
	r = c.PostForm("/chat/offline", form(first.TrackingCode))
	if r.StatusCode != 303 {
		t.Fatalf("offline form: %d", r.StatusCode)
	}
	if got := d.Count(`SELECT count(*) FROM moderation_items WHERE source = 'chat_conversation' AND case_id = $1 AND citizen_phone = '+84912345678'`, forumItem); got != 1 {
		t.Fatalf("offline items in the case of #%d: %d", forumItem, got)
	}
}

// TestLiveQuestionPhoneIsNotified: a live question sent with a phone and
// consent is filed under the number and its asker is told, by the
// outbox, that it was received and then answered on the air; a question
// without a phone tells nobody.
func TestLiveQuestionPhoneIsNotified(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	MustCreateUser(t, n, "admin", "admin1", "correct horse battery")
	MustCreateUser(t, n, "leader", "chutich", "correct horse battery")
	d := newFeedbackDB(t, n.DBURL)
	admin, mod, leader, anon := newClient(t, n), newClient(t, n), newClient(t, n), newClient(t, n)
	admin.MustLogin("admin1", "correct horse battery")
	mod.MustLogin("mod1", "mod1-password")
	leader.MustLogin("chutich", "correct horse battery")
	var ss struct{ ID int64 }
	if r := admin.Do("POST", "/api/v1/live-sessions", map[string]any{"title": "Giao lưu về đất đai", "starts_at": time.Now().Add(-time.Minute), "leaders": []string{"chutich"}}, &ss); r.StatusCode != 201 {
		t.Fatalf("schedule: %d", r.StatusCode)
	}
	ask := func(body map[string]any) int64 {
		var q struct{ ID int64 }
		if r := anon.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions", ss.ID), body, &q); r.StatusCode != 201 {
			b, _ := io.ReadAll(r.Body)
			t.Fatalf("live question: %d %s", r.StatusCode, b)
		}
		return q.ID
	}
	withPhone := ask(map[string]any{"body": "Bao giờ cấp sổ đỏ cho bản tôi?", "phone": "0912 345 678", "consent": true})
	without := ask(map[string]any{"body": "Đất rừng giao khoán có được cấp sổ không?"})
	events := func(qid int64) map[string]string {
		rows, err := d.pool.Query(t.Context(), `SELECT o.event, o.recipient FROM notification_outbox o
			JOIN live_questions q ON q.item_id = o.item_id WHERE q.id = $1 AND o.channel = 'sms'`, qid)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var ev, to string
			if err := rows.Scan(&ev, &to); err != nil {
				t.Fatal(err)
			}
			out[ev] = to
		}
		return out
	}
	for _, qid := range []int64{withPhone, without} {
		if r := mod.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions/%d/approve", ss.ID, qid), map[string]any{}, nil); r.StatusCode != 204 {
			t.Fatalf("approve %d: %d", qid, r.StatusCode)
		}
		if r := leader.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/answers", ss.ID), map[string]any{"question_id": qid, "body": "Trong quý tới, xã sẽ đo đạc và cấp sổ."}, nil); r.StatusCode != 201 {
			t.Fatalf("answer %d: %d", qid, r.StatusCode)
		}
	}
	if got := events(withPhone); got["received"] != "+84912345678" || got["answered"] != "+84912345678" || len(got) != 2 {
		t.Fatalf("SMS for the question with a phone: %v", got)
	}
	if got := events(without); len(got) != 0 {
		t.Fatalf("SMS for a question without a phone: %v", got)
	}
	if got := d.Count(`SELECT count(*) FROM moderation_items i JOIN live_questions q ON q.item_id = i.id WHERE q.id = $1 AND i.citizen_phone = '+84912345678' AND i.status = 'answered'`, withPhone); got != 1 {
		t.Fatalf("the live item is not answered under +84912345678")
	}
}
