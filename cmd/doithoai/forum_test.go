package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

type questionCreated struct {
	ID           int64  `json:"id"`
	TrackingCode string `json:"tracking_code"`
	Status       string `json:"status"`
	URL          string `json:"url"`
}

type item struct {
	ID       int64  `json:"id"`
	Source   string `json:"source"`
	Ref      string `json:"ref"`
	Status   string `json:"status"`
	Assignee *string
	Content  string `json:"content"`
	History  []struct {
		Actor, Action string
	} `json:"history"`
}

// MustSeededNode is a node with the demo categories, a moderator and a citizen.
func MustSeededNode(t *testing.T) *node {
	t.Helper()
	n := MustStartNode(t, "")
	MustRun(t, n.DBURL, "", "seed")
	MustCreateUser(t, n, "moderator", "mod1", "mod1-password")
	MustCreateUser(t, n, "moderator", "mod2", "mod2-password")
	MustCreateUser(t, n, "citizen", "0911222333", "citizen-password")
	return n
}

func mustAsk(t *testing.T, c *client, title, body, category string) questionCreated {
	t.Helper()
	var q questionCreated
	r := c.Do("POST", "/api/v1/questions", map[string]any{"title": title, "body": body, "category": category, "province": "Hà Giang"}, &q)
	if r.StatusCode != 201 || q.TrackingCode == "" || q.ID == 0 {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("ask: %d %s", r.StatusCode, b)
	}
	return q
}

// TestCoreLoopAPI walks ask → queue → claim → approve → answer → track over
// the API, with the checks that nothing leaks before it is published.
func TestCoreLoopAPI(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	anon := newClient(t, n)
	q := mustAsk(t, anon, "Hỗ trợ hộ nghèo không có đất sản xuất", "Gia đình tôi ở xã vùng cao, không có đất sản xuất. Xin hỏi có chính sách hỗ trợ không dấu hiệu gì?", "chinh-sach-xa-hoi")
	if q.Status != "pending" || !strings.Contains(q.URL, fmt.Sprintf("/cau-hoi/%d-ho-tro-ho-ngheo", q.ID)) {
		t.Fatalf("created %+v", q)
	}
	for _, ch := range q.TrackingCode {
		if strings.ContainsRune("01OI", ch) {
			t.Fatalf("tracking code %q has an ambiguous character", q.TrackingCode)
		}
	}
	// Pending: not public, not searchable, but trackable.
	wantError(t, anon.Do("GET", fmt.Sprintf("/api/v1/questions/%d", q.ID), nil, nil), 404, "not_found")
	var sr struct {
		Results []struct {
			ID      int64
			Snippet string
		}
	}
	anon.MustDo("GET", "/api/v1/search?q=khong+dat", nil, &sr)
	if len(sr.Results) != 0 {
		t.Fatalf("pending question found by search: %+v", sr)
	}
	var tr struct{ Status, Answer string }
	if r := anon.Do("GET", "/api/v1/track/"+strings.ToLower(q.TrackingCode), nil, &tr); r.StatusCode != 200 || tr.Status != "pending" {
		t.Fatalf("track: %d %+v", r.StatusCode, tr)
	}

	// The item is in the queue; staff only.
	wantError(t, anon.Do("GET", "/api/v1/moderation/items", nil, nil), 401, "login_required")
	cit := newClient(t, n)
	cit.MustLogin("0911222333", "citizen-password")
	wantError(t, cit.Do("POST", "/api/v1/moderation/claim", nil, nil), 403, "forbidden")

	m1, m2 := newClient(t, n), newClient(t, n)
	m1.MustLogin("mod1", "mod1-password")
	m2.MustLogin("mod2", "mod2-password")
	var list struct{ Items []item }
	m1.MustDo("GET", "/api/v1/moderation/items?status=pending&source=forum_question", nil, &list)
	if len(list.Items) != 1 || list.Items[0].Ref != fmt.Sprint(q.ID) {
		t.Fatalf("queue: %+v", list)
	}
	var claimed item
	if r := m1.Do("POST", "/api/v1/moderation/claim", nil, &claimed); r.StatusCode != 200 || claimed.ID != list.Items[0].ID {
		t.Fatalf("claim next: %d %+v", r.StatusCode, claimed)
	}
	if r := m2.Do("POST", "/api/v1/moderation/claim", nil, nil); r.StatusCode != 204 {
		t.Fatalf("second claim-next with nothing left: %d", r.StatusCode)
	}
	path := fmt.Sprintf("/api/v1/moderation/items/%d/", claimed.ID)
	wantError(t, m2.Do("POST", path+"claim", nil, nil), 409, "held")
	wantError(t, m2.Do("POST", path+"approve", nil, nil), 409, "held")
	wantError(t, m1.Do("POST", path+"reject", map[string]string{}, nil), 400, "reason_required")
	wantError(t, m1.Do("POST", path+"fly", nil, nil), 404, "not_found")
	wantError(t, m1.Do("POST", path+"directive", map[string]string{"note": "x"}, nil), 403, "forbidden")
	if r := m1.Do("POST", path+"approve", nil, nil); r.StatusCode != 200 {
		t.Fatalf("approve: %d", r.StatusCode)
	}
	// Published: public and found without tone marks, marked in the snippet.
	var pub struct {
		Status string
		URL    string
	}
	if r := anon.Do("GET", fmt.Sprintf("/api/v1/questions/%d", q.ID), nil, &pub); r.StatusCode != 200 || pub.Status != "published" {
		t.Fatalf("after approve: %d %+v", r.StatusCode, pub)
	}
	anon.MustDo("GET", "/api/v1/search?q=khong+dat+san+xuat", nil, &sr)
	if len(sr.Results) != 1 || !strings.Contains(sr.Results[0].Snippet, "<mark>không</mark>") || !strings.Contains(sr.Results[0].Snippet, "<mark>đất</mark>") {
		t.Fatalf("search: %+v", sr)
	}
	answer := "Theo Quyết định 90/QĐ-TTg, hộ nghèo thiếu đất sản xuất được hỗ trợ chuyển đổi nghề."
	if r := m1.Do("POST", path+"answer", map[string]string{"body": answer}, nil); r.StatusCode != 200 {
		t.Fatalf("answer: %d", r.StatusCode)
	}
	anon.MustDo("GET", "/api/v1/track/"+q.TrackingCode, nil, &tr)
	if tr.Status != "answered" || tr.Answer != answer {
		t.Fatalf("track after answer: %+v", tr)
	}
	var full struct {
		Status string
		Answer *struct {
			Body     string
			Official bool
		}
	}
	anon.MustDo("GET", fmt.Sprintf("/api/v1/questions/%d", q.ID), nil, &full)
	if full.Status != "answered" || full.Answer == nil || !full.Answer.Official || full.Answer.Body != answer {
		t.Fatalf("question after answer: %+v", full)
	}
	// Acting after the answer released the lease: the item is closed to more work.
	wantError(t, m1.Do("POST", path+"answer", map[string]string{"body": "again"}, nil), 409, "not_held")
	var detail item
	m1.MustDo("GET", fmt.Sprintf("/api/v1/moderation/items/%d", claimed.ID), nil, &detail)
	var actions []string
	for _, h := range detail.History {
		actions = append(actions, h.Action)
	}
	if got := strings.Join(actions, ","); got != "created,claim,approve,answer" {
		t.Fatalf("history %s", got)
	}
}

func TestAskBadInput(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	c := newClient(t, n)
	ok := map[string]any{"title": "Câu hỏi hợp lệ", "body": "Nội dung đủ dài để hỏi.", "category": "dat-dai"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range ok {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name string
		body any
		code string
	}{
		{"ErrTitleRequired", with("title", "  "), "title_required"},
		{"ErrUnknownCategory", with("category", "khong-co"), "unknown_category"},
		{"ErrBodyTooLong", with("body", strings.Repeat("dài ", 4000)), "body_too_long"},
		{"ErrInvalidUTF8", []byte("{\"title\":\"ab\xffcdef\",\"body\":\"Nội dung đủ dài để hỏi.\",\"category\":\"dat-dai\"}"), "invalid_utf8"},
		{"ErrConsentWithContact", with("contact", "0912000111"), "consent_required"},
		{"ErrBadKind", with("kind", "rumour"), "bad_kind"},
		{"ErrWrongType", with("title", 42), "bad_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, c.Do("POST", "/api/v1/questions", tt.body, nil), 400, tt.code)
		})
	}
	// Nothing of the above was stored.
	m := newClient(t, n)
	m.MustLogin("mod1", "mod1-password")
	var list struct {
		Items []item
		Total int
	}
	m.MustDo("GET", "/api/v1/moderation/items?status=pending", nil, &list)
	if list.Total != 0 {
		t.Fatalf("bad input stored %d items", list.Total)
	}
	// Script tags are stored as text and rendered harmless.
	q := mustAsk(t, c, "Tiêu đề <script>alert(1)</script>", "Nội dung <script>alert(2)</script> [link](javascript:alert(3)) **đậm**", "giao-thong-ha-tang")
	r := c.Do("GET", fmt.Sprintf("/cau-hoi/%d", q.ID), nil, nil)
	if r.StatusCode == 301 {
		r = c.Do("GET", r.Header.Get("Location"), nil, nil)
	}
	page, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 {
		t.Fatalf("post-moderated question page: %d", r.StatusCode)
	}
	if strings.Contains(string(page), "<script>alert") || strings.Contains(string(page), "javascript:") {
		t.Fatalf("unsafe HTML rendered:\n%s", page)
	}
	if !strings.Contains(string(page), "<strong>đậm</strong>") {
		t.Fatal("markdown not rendered")
	}
}

// TestClaimsNeverDouble has many moderators claim at once: every item is
// claimed exactly once.
func TestClaimsNeverDouble(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	anon := newClient(t, n)
	const items = 24
	for i := 0; i < items; i++ {
		mustAsk(t, anon, fmt.Sprintf("Câu hỏi số %d về đất", i), "Nội dung câu hỏi về giấy chứng nhận quyền sử dụng đất.", "dat-dai")
	}
	const mods = 8
	for i := 0; i < mods; i++ {
		MustCreateUser(t, n, "moderator", fmt.Sprintf("mod-%d", i), "password-m")
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for i := 0; i < mods; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := newClient(t, n)
			c.MustLogin(fmt.Sprintf("mod-%d", i), "password-m")
			for {
				var it item
				r := c.Do("POST", "/api/v1/moderation/claim", nil, &it)
				if r.StatusCode == 204 {
					return
				}
				if r.StatusCode != 200 {
					t.Errorf("claim: %d", r.StatusCode)
					return
				}
				mu.Lock()
				if who, dup := seen[it.ID]; dup {
					t.Errorf("item %d claimed by m%d and %s", it.ID, i, who)
				}
				seen[it.ID] = fmt.Sprintf("m%d", i)
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if len(seen) != items {
		t.Fatalf("claimed %d distinct items, want %d", len(seen), items)
	}
}
