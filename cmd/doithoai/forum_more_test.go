package main

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/unicode/norm"
)

// mustPublish claims and approves the queue item of a question.
func mustModerate(t *testing.T, m *client, questionID int64, actions ...map[string]any) item {
	t.Helper()
	var list struct{ Items []item }
	m.MustDo("GET", "/api/v1/moderation/items?source=forum_question", nil, &list)
	var it item
	for _, i := range list.Items {
		if i.Ref == fmt.Sprint(questionID) {
			it = i
		}
	}
	if it.ID == 0 {
		t.Fatalf("question %d not in the queue", questionID)
	}
	path := fmt.Sprintf("/api/v1/moderation/items/%d/", it.ID)
	if r := m.Do("POST", path+"claim", nil, nil); r.StatusCode != 200 {
		t.Fatalf("claim %d", r.StatusCode)
	}
	for _, a := range actions {
		name := a["action"].(string)
		delete(a, "action")
		var body any
		if len(a) > 0 {
			body = a
		}
		if r := m.Do("POST", path+name, body, nil); r.StatusCode != 200 {
			b, _ := io.ReadAll(r.Body)
			t.Fatalf("%s: %d %s", name, r.StatusCode, b)
		}
	}
	return it
}

func TestVietnameseSearch(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	anon, m := newClient(t, n), newClient(t, n)
	m.MustLogin("mod1", "mod1-password")
	docs := []struct{ title, body string }{
		{"Hoà giải tranh chấp đất", "Thủ tục hoà giải ở cơ sở thế nào?"},                   // old tone placement
		{norm.NFD.String("Chính sách không dấu"), norm.NFD.String("Văn bản gõ kiểu NFD.")}, // decomposed
		{"Tiền điện tháng này", "Hoá đơn tiền điện tăng cao bất thường."},
	}
	var ids []int64
	for _, d := range docs {
		q := mustAsk(t, anon, d.title, d.body+" Xin cảm ơn.", "giao-thong-ha-tang") // post-moderated: public at once
		ids = append(ids, q.ID)
	}
	pending := mustAsk(t, anon, "Hòa giải chưa duyệt", "Câu hỏi chờ duyệt về hòa giải.", "dat-dai")
	tests := []struct {
		query string
		want  int64
	}{
		{"hòa giải", ids[0]},  // new placement finds old
		{"HOA GIAI", ids[0]},  // case and marks
		{"khong dau", ids[1]}, // NFD stored, plain typed
		{"không dấu", ids[1]}, // NFC typed
		{"tien dien", ids[2]},
		{"hoa don", ids[2]},
	}
	for _, tt := range tests {
		var sr struct {
			Results []struct {
				ID      int64
				Snippet string
			}
		}
		if r := anon.Do("GET", "/api/v1/search?q="+strings.ReplaceAll(tt.query, " ", "+"), nil, &sr); r.StatusCode != 200 {
			t.Fatalf("%q: %d", tt.query, r.StatusCode)
		}
		if len(sr.Results) == 0 || sr.Results[0].ID != tt.want {
			t.Errorf("%q: got %+v, want question %d first", tt.query, sr.Results, tt.want)
			continue
		}
		if !strings.Contains(sr.Results[0].Snippet, "<mark>") {
			t.Errorf("%q: snippet without highlight: %q", tt.query, sr.Results[0].Snippet)
		}
		for _, r := range sr.Results {
			if r.ID == pending.ID {
				t.Errorf("%q: pending question %d in results", tt.query, pending.ID)
			}
		}
	}
	wantError(t, anon.Do("GET", "/api/v1/search?q=+++", nil, nil), 400, "query_required")
	// The search is served by the index, not a scan.
	conn, err := pgx.Connect(context.Background(), n.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// Give the planner a table worth an index: 20,000 public questions.
	if _, err := conn.Exec(context.Background(), `
		INSERT INTO forum_questions (category_id, title, body, body_html, status, tracking_code)
		SELECT (SELECT min(id) FROM forum_categories), 'Câu hỏi mẫu số ' || g, 'Nội dung mẫu về thủ tục ' || g, '', 'published', 'FILL' || g
		FROM generate_series(1, 20000) g`); err != nil {
		t.Fatal(err)
	}
	// VACUUM merges GIN's pending list, as autovacuum would in production.
	_, _ = conn.Exec(context.Background(), "VACUUM ANALYZE forum_questions")
	var plan strings.Builder
	rows, err := conn.Query(context.Background(), `EXPLAIN SELECT id FROM forum_questions q
		WHERE q.status IN ('published', 'answered', 'closed') AND q.visibility = 'public' AND q.search_vec @@ to_tsquery('simple', 'hoa & giai')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		_ = rows.Scan(&line)
		plan.WriteString(line + "\n")
	}
	if !strings.Contains(plan.String(), "forum_questions_search_idx") {
		t.Fatalf("search does not use its index:\n%s", plan.String())
	}
}

func TestPrivateQuestionAndComplaint(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	anon, m := newClient(t, n), newClient(t, n)
	m.MustLogin("mod1", "mod1-password")
	var priv questionCreated
	anon.MustDo("POST", "/api/v1/questions", map[string]any{"title": "Hỏi riêng về trợ cấp", "body": "Trường hợp của tôi cần giữ kín.", "category": "giao-thong-ha-tang", "visibility": "private"}, &priv)
	// Post-moderated category, but private: never public.
	wantError(t, anon.Do("GET", fmt.Sprintf("/api/v1/questions/%d", priv.ID), nil, nil), 404, "not_found")
	mustModerate(t, m, priv.ID, map[string]any{"action": "answer", "body": "Trả lời riêng cho bạn."})
	wantError(t, anon.Do("GET", fmt.Sprintf("/api/v1/questions/%d", priv.ID), nil, nil), 404, "not_found")
	var withCode struct {
		Status string
		Answer *struct{ Body string }
	}
	if r := anon.Do("GET", fmt.Sprintf("/api/v1/questions/%d?code=%s", priv.ID, priv.TrackingCode), nil, &withCode); r.StatusCode != 200 || withCode.Answer == nil || withCode.Answer.Body != "Trả lời riêng cho bạn." {
		t.Fatalf("asker with code: %d %+v", r.StatusCode, withCode)
	}
	var sr struct{ Results []struct{ ID int64 } }
	anon.MustDo("GET", "/api/v1/search?q=tro+cap", nil, &sr)
	if len(sr.Results) != 0 {
		t.Fatalf("private question searchable: %+v", sr)
	}

	// A denunciation is never published and goes to the complaints department.
	var den questionCreated
	anon.MustDo("POST", "/api/v1/questions", map[string]any{"title": "Tố cáo cán bộ xã", "body": "Cán bộ xã thu tiền sai quy định.", "category": "khac", "kind": "denunciation"}, &den)
	var list struct {
		Items []struct {
			ID         int64
			Ref        string
			Kind       string
			Department string
			Priority   int
		}
	}
	m.MustDo("GET", "/api/v1/moderation/items?source=forum_question", nil, &list)
	var found bool
	for _, it := range list.Items {
		if it.Ref == fmt.Sprint(den.ID) {
			found = true
			if it.Kind != "denunciation" || it.Department != "tiep-cong-dan" || it.Priority != 1 {
				t.Fatalf("denunciation item %+v", it)
			}
			path := fmt.Sprintf("/api/v1/moderation/items/%d/", it.ID)
			m.MustDo("POST", path+"claim", nil, nil)
			wantError(t, m.Do("POST", path+"approve", nil, nil), 409, "not_publishable")
		}
	}
	if !found {
		t.Fatal("denunciation not queued")
	}
}

func TestVotesReportsReopen(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	anon, m := newClient(t, n), newClient(t, n)
	m.MustLogin("mod1", "mod1-password")
	q := mustAsk(t, anon, "Đường vào bản bị sạt lở", "Đường vào bản Nậm Cang sạt lở sau mưa lớn.", "giao-thong-ha-tang")
	var v struct {
		Votes int
		Added bool
	}
	// anon has no voter cookie yet: its first vote is its address's, and the
	// signed cookie it is given is tied to that vote, so pressing again
	// adds nothing.
	for i := 0; i < 3; i++ {
		if r := anon.Do("POST", fmt.Sprintf("/api/v1/questions/%d/votes", q.ID), nil, &v); r.StatusCode != 200 || v.Votes != 1 || v.Added != (i == 0) {
			t.Fatalf("vote %d: %d %+v", i, r.StatusCode, v)
		}
	}
	// Another client without a cookie, from the same address, is that
	// address again: not counted.
	other := newClient(t, n)
	if r := other.Do("POST", fmt.Sprintf("/api/v1/questions/%d/votes", q.ID), nil, &v); r.StatusCode != 200 || v.Votes != 1 || v.Added {
		t.Fatalf("cookieless vote from the same address: %d %+v", r.StatusCode, v)
	}
	var rep struct{ ID int64 }
	if r := anon.Do("POST", fmt.Sprintf("/api/v1/questions/%d/reports", q.ID), map[string]string{"reason": "Nội dung sai sự thật"}, &rep); r.StatusCode != 201 || rep.ID == 0 {
		t.Fatalf("report: %d", r.StatusCode)
	}
	wantError(t, anon.Do("POST", fmt.Sprintf("/api/v1/questions/%d/reports", q.ID), map[string]string{"reason": " "}, nil), 400, "reason_required")
	var reports struct{ Items []item }
	m.MustDo("GET", "/api/v1/moderation/items?source=report", nil, &reports)
	if len(reports.Items) != 1 || !strings.Contains(reports.Items[0].Content, "sai sự thật") {
		t.Fatalf("report items %+v", reports.Items)
	}
	// Answer, then reopen once with a reason.
	mustModerate(t, m, q.ID, map[string]any{"action": "answer", "body": "Huyện đã cử đoàn khắc phục."})
	code := q.TrackingCode
	wantError(t, anon.Do("POST", "/api/v1/track/"+code+"/reopen", map[string]string{"reason": ""}, nil), 400, "reason_required")
	var ro struct{ Status string }
	if r := anon.Do("POST", "/api/v1/track/"+code+"/reopen", map[string]string{"reason": "Đoàn chưa đến"}, &ro); r.StatusCode != 200 || ro.Status != "published" {
		t.Fatalf("reopen: %d %+v", r.StatusCode, ro)
	}
	wantError(t, anon.Do("POST", "/api/v1/track/"+code+"/reopen", map[string]string{"reason": "lần nữa"}, nil), 409, "not_answered")
	var tr struct{ Status string }
	anon.MustDo("GET", "/api/v1/track/"+code, nil, &tr)
	if tr.Status != "published" {
		t.Fatalf("after reopen the item is %q", tr.Status)
	}
	var list struct{ Items []item }
	m.MustDo("GET", "/api/v1/moderation/items?source=forum_question&status=approved", nil, &list)
	if len(list.Items) != 1 || list.Items[0].Assignee != nil {
		t.Fatalf("reopened item not back in the queue unassigned: %+v", list.Items)
	}
	// Answer again; the second reopen is refused.
	mustModerate(t, m, q.ID, map[string]any{"action": "answer", "body": "Đã thông đường."})
	wantError(t, anon.Do("POST", "/api/v1/track/"+code+"/reopen", map[string]string{"reason": "lần hai"}, nil), 409, "reopened_once")

	// The report is upheld: the question is taken down, for votes too.
	path := fmt.Sprintf("/api/v1/moderation/items/%d/", reports.Items[0].ID)
	for _, a := range []string{"claim", "approve"} {
		if r := m.Do("POST", path+a, nil, nil); r.StatusCode != 200 {
			b, _ := io.ReadAll(r.Body)
			t.Fatalf("report %s: %d %s", a, r.StatusCode, b)
		}
	}
	wantError(t, anon.Do("GET", fmt.Sprintf("/api/v1/questions/%d", q.ID), nil, nil), 404, "not_found")
	wantError(t, other.Do("POST", fmt.Sprintf("/api/v1/questions/%d/votes", q.ID), nil, nil), 404, "not_found")
	if got := voteCount(t, n, q.ID); got != 1 {
		t.Fatalf("%d votes stored, want 1", got)
	}
}

func TestLeaseExpiresAndAuditIsAppendOnly(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	anon, m1, m2 := newClient(t, n), newClient(t, n), newClient(t, n)
	m1.MustLogin("mod1", "mod1-password")
	m2.MustLogin("mod2", "mod2-password")
	mustAsk(t, anon, "Câu hỏi về học bổng", "Học sinh dân tộc nội trú có học bổng không?", "y-te-giao-duc")
	var it item
	m1.MustDo("POST", "/api/v1/moderation/claim", nil, &it)
	wantError(t, m2.Do("POST", fmt.Sprintf("/api/v1/moderation/items/%d/claim", it.ID), nil, nil), 409, "held")
	conn, err := pgx.Connect(context.Background(), n.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// The moderator went home: the lease runs out.
	if _, err := conn.Exec(context.Background(), `UPDATE moderation_items SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, it.ID); err != nil {
		t.Fatal(err)
	}
	if r := m2.Do("POST", fmt.Sprintf("/api/v1/moderation/items/%d/claim", it.ID), nil, nil); r.StatusCode != 200 {
		t.Fatalf("claim after lease expiry: %d", r.StatusCode)
	}
	wantError(t, m1.Do("POST", fmt.Sprintf("/api/v1/moderation/items/%d/approve", it.ID), nil, nil), 409, "held")
	if _, err := conn.Exec(context.Background(), `UPDATE moderation_audit SET action = 'forged'`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("audit update: %v", err)
	}
	if _, err := conn.Exec(context.Background(), `DELETE FROM moderation_audit`); err == nil {
		t.Fatal("audit delete allowed")
	}
}

func TestPagesWeighLittle(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	anon := newClient(t, n)
	var q questionCreated
	for i := 0; i < 25; i++ {
		q = mustAsk(t, anon, fmt.Sprintf("Câu hỏi dài số %d về chính sách đất đai cho đồng bào", i), strings.Repeat("Nội dung chi tiết về thủ tục hành chính. ", 60), "giao-thong-ha-tang")
	}
	for _, path := range []string{"/", "/hoi", "/tim-kiem?q=dat+dai", "/tra-cuu?code=" + q.TrackingCode, fmt.Sprintf("/cau-hoi/%d", q.ID), "/danh-muc/giao-thong-ha-tang", "/login", "/feed.atom"} {
		req, _ := http.NewRequest("GET", n.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == 301 {
			resp.Body.Close()
			req, _ = http.NewRequest("GET", n.URL+resp.Header.Get("Location"), nil)
			req.Header.Set("Accept-Encoding", "gzip")
			if resp, err = http.DefaultTransport.RoundTrip(req); err != nil {
				t.Fatal(err)
			}
		}
		wire, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: %d, encoding %q", path, resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		if len(wire) > 30*1024 {
			t.Errorf("%s weighs %d bytes gzipped, over 30 KB", path, len(wire))
		}
		zr, _ := gzip.NewReader(strings.NewReader(string(wire)))
		html, _ := io.ReadAll(zr)
		if path != "/feed.atom" && strings.Contains(string(html), "<script src") {
			t.Errorf("%s loads an external script", path)
		}
	}
	_ = time.Second
}
