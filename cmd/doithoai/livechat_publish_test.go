package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// askApproveAnswer puts one question through a live session: asked,
// approved at the desk, answered by the leader. It returns its id.
func askApproveAnswer(t *testing.T, anon, mod, leader *client, sessionID int64, question, answer string) int64 {
	t.Helper()
	var q struct{ ID int64 }
	if r := anon.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions", sessionID), map[string]any{"body": question}, &q); r.StatusCode != 201 {
		t.Fatalf("ask: %d", r.StatusCode)
	}
	if r := mod.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions/%d/approve", sessionID, q.ID), map[string]string{}, nil); r.StatusCode != 204 {
		t.Fatalf("approve: %d", r.StatusCode)
	}
	if r := leader.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/answers", sessionID), map[string]any{"question_id": q.ID, "body": answer}, nil); r.StatusCode != 201 {
		t.Fatalf("answer: %d", r.StatusCode)
	}
	return q.ID
}

// A moderator publishes a leader's live answer as the official answer of
// a new forum question (the desk's form) and of an existing one (the API):
// search finds the question by a word of it, and its page shows the
// official answer with the leader's name.
func TestLivechatPublishLiveAnswerToForum(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	MustRun(t, n.DBURL, "", "seed") // the forum's categories
	MustCreateUser(t, n, "admin", "admin-pub", "correct horse battery")
	MustCreateUser(t, n, "moderator", "mod-pub", "correct horse battery")
	MustCreateUser(t, n, "leader", "pct-pub", "correct horse battery", "--name", "Phó Chủ tịch Lò Văn Sơn")
	admin, mod, leader, anon, other := newClient(t, n), newClient(t, n), newClient(t, n), newClient(t, n), newClient(t, n)
	admin.MustLogin("admin-pub", "correct horse battery")
	mod.MustLogin("mod-pub", "correct horse battery")
	leader.MustLogin("pct-pub", "correct horse battery")
	var ss struct{ ID int64 }
	if r := admin.Do("POST", "/api/v1/live-sessions", map[string]any{"title": "Giao lưu về đất rừng",
		"starts_at": time.Now().Add(-time.Minute), "leaders": []string{"pct-pub"}}, &ss); r.StatusCode != 201 {
		t.Fatalf("schedule: %d", r.StatusCode)
	}
	q1 := askApproveAnswer(t, anon, mod, leader, ss.ID, "Giao khoán rừng phòng hộ cho hộ đồng bào thế nào?", "Theo Nghị định 168, mỗi hộ được giao khoán tối đa 30 ha.")
	pending := 0
	if r := anon.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions", ss.ID), map[string]any{"body": "Câu hỏi chưa trả lời"}, &struct{ ID *int }{&pending}); r.StatusCode != 201 {
		t.Fatalf("ask: %d", r.StatusCode)
	}

	base := fmt.Sprintf("/api/v1/live-sessions/%d/questions/", ss.ID)
	wantError(t, anon.Do("POST", fmt.Sprintf("%s%d/publish", base, q1), map[string]any{"category": "dat-dai"}, nil), 401, "login_required")
	wantError(t, mod.Do("POST", fmt.Sprintf("%s%d/publish", base, pending), map[string]any{"category": "dat-dai"}, nil), 409, "not_answered")
	wantError(t, mod.Do("POST", fmt.Sprintf("%s%d/publish", base, q1), map[string]any{"category": "khong-co"}, nil), 400, "unknown_category")
	wantError(t, mod.Do("POST", fmt.Sprintf("%s%d/publish", base, q1), map[string]any{}, nil), 400, "target_required")

	// The desk's form, without JavaScript.
	desk := pageOf(t, mod.Do("GET", fmt.Sprintf("/giao-luu/%d/dieu-phoi", ss.ID), nil, nil))
	formAction := fmt.Sprintf(`/giao-luu/%d/cau-hoi/%d/dang-dien-dan`, ss.ID, q1)
	if !strings.Contains(desk, formAction) || !strings.Contains(desk, `value="dat-dai"`) {
		t.Fatal("the desk has no publish form with the forum's categories for the answered question")
	}
	r := mod.PostForm(formAction, url.Values{"category": {"dat-dai"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish form: %d %s", r.StatusCode, pageOf(t, r))
	}
	desk = pageOf(t, mod.Do("GET", fmt.Sprintf("/giao-luu/%d/dieu-phoi", ss.ID), nil, nil))
	if strings.Contains(desk, formAction) || !strings.Contains(desk, `href="/cau-hoi/`) {
		t.Error("after publishing, the desk still offers the form instead of the forum link")
	}
	wantError(t, mod.Do("POST", fmt.Sprintf("%s%d/publish", base, q1), map[string]any{"category": "dat-dai"}, nil), 409, "published")

	var found struct {
		Results []struct {
			ID     int64
			Title  string
			URL    string
			Status string
		}
	}
	if r := other.Do("GET", "/api/v1/search?q="+url.QueryEscape("phòng hộ"), nil, &found); r.StatusCode != 200 || len(found.Results) != 1 {
		t.Fatalf("search after publishing: %d %+v, want the one question", r.StatusCode, found)
	}
	hit := found.Results[0]
	if hit.Status != "answered" || !strings.Contains(hit.Title, "Giao khoán rừng phòng hộ") {
		t.Errorf("search hit = %+v, want the answered live question", hit)
	}
	hitURL, err := url.Parse(hit.URL) // absolute, on BASE_URL
	if err != nil {
		t.Fatal(err)
	}
	page := pageOf(t, other.Do("GET", hitURL.Path, nil, nil))
	for _, want := range []string{"Theo Nghị định 168, mỗi hộ được giao khoán tối đa 30 ha.", "Phó Chủ tịch Lò Văn Sơn", "official"} {
		if !strings.Contains(page, want) {
			t.Errorf("the forum question page lacks %q", want)
		}
	}

	// A second answer joins the existing forum question, through the API.
	q2 := askApproveAnswer(t, anon, mod, leader, ss.ID, "Rừng phòng hộ đầu nguồn có được trả tiền dịch vụ?", "Có, mức chi trả theo lưu vực sông.")
	wantError(t, mod.Do("POST", fmt.Sprintf("%s%d/publish", base, q2), map[string]any{"forum_question_id": 999999}, nil), 404, "not_found")
	var pub struct {
		ForumQuestionID int64 `json:"forum_question_id"`
		URL             string
	}
	if r := leader.Do("POST", fmt.Sprintf("%s%d/publish", base, q2), map[string]any{"forum_question_id": hit.ID}, &pub); r.StatusCode != 200 || pub.ForumQuestionID != hit.ID {
		t.Fatalf("publish to the existing question: %d %+v", r.StatusCode, pub)
	}
	page = pageOf(t, other.Do("GET", pub.URL, nil, nil))
	if !strings.Contains(page, "Có, mức chi trả theo lưu vực sông.") || !strings.Contains(page, "Theo Nghị định 168") {
		t.Error("the existing forum question does not show both official answers")
	}
}
