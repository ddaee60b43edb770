package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// location is the redirect target of resp, failing unless it is a 303.
func location(t *testing.T, resp *http.Response) string {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("want 303, got %d: %.300s", resp.StatusCode, b)
	}
	return resp.Header.Get("Location")
}

func wantIn(t *testing.T, what, page string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(page, s) {
			t.Errorf("%s lacks %q", what, s)
		}
	}
}

// Every citizen form is POST → redirect → GET: refreshing the page a form
// led to files nothing again, and the confirmation is on that page.
// Before, POST /hoi answered 201 with the confirmation itself (a refresh
// filed the question twice) and ?done= was lost in the slug redirect.
func TestCitizenFormsRedirectAfterPost(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	d := newFeedbackDB(t, n.DBURL)
	anon, mod := newClient(t, n), newClient(t, n)
	mod.MustLogin("mod1", "mod1-password")

	_, ask := bodyOf(t, anon, "/hoi")
	wantIn(t, "/hoi", ask, "Đất đai (kiểm duyệt trước khi đăng)", "Giao thông, hạ tầng (đăng ngay, kiểm duyệt sau)")

	form := url.Values{"title": {"Xin hỏi về trợ cấp khuyết tật"}, "body": {"Con tôi bị khuyết tật vận động, xin hỏi thủ tục hưởng trợ cấp?"},
		"category": {"chinh-sach-xa-hoi"}, "kind": {"question"}, "visibility": {"public"}, "language": {"vi"},
		"contact": {"0912 345 678"}, "consent": {"1"}}
	// Bad input: the form comes back with the error, nothing is stored.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Del("consent")
	if r := anon.PostForm("/hoi", bad); r.StatusCode != 400 || !strings.Contains(pageOf(t, r), `id="form-error"`) {
		t.Fatalf("ask without consent: %d", r.StatusCode)
	}
	if c := d.Count(`SELECT count(*) FROM forum_questions`); c != 0 {
		t.Fatalf("a refused form stored %d questions", c)
	}
	done := location(t, anon.PostForm("/hoi", form))
	if !strings.HasPrefix(done, "/hoi/da-gui?code=") {
		t.Fatalf("ask redirects to %q", done)
	}
	code := strings.TrimPrefix(done, "/hoi/da-gui?code=")
	var due time.Time
	if err := d.pool.QueryRow(t.Context(), `SELECT due_at FROM moderation_items WHERE tracking_code = $1`, code).Scan(&due); err != nil {
		t.Fatal(err)
	}
	dueText := due.In(time.FixedZone("ICT", 7*3600)).Format("02/01/2006 15:04")
	for i := 0; i < 2; i++ { // the confirmation, then a refresh of it
		st, page := bodyOf(t, anon, done)
		if st != 200 {
			t.Fatalf("confirmation: %d", st)
		}
		wantIn(t, "confirmation", page, code, "được cán bộ kiểm duyệt trước khi đăng", "Dự kiến trả lời trước: "+dueText)
	}
	if c := d.Count(`SELECT count(*) FROM forum_questions`); c != 1 {
		t.Fatalf("after the confirmation and a refresh: %d questions, want 1", c)
	}
	// The tracking page: the question, when it was sent, when it is due.
	_, track := bodyOf(t, anon, "/tra-cuu?code="+code)
	wantIn(t, "tracking page", track, "Con tôi bị khuyết tật vận động", "Gửi lúc", "Hạn trả lời", dueText)

	// Comment, vote and report on a public question confirm after the
	// redirect, on the slugged URL.
	pub := mustAsk(t, anon, "Đèn đường thôn Nà Hẩu bị hỏng", "Đèn đường hỏng ba tháng nay.", "giao-thong-ha-tang")
	slugged := pagePath(t, pub)
	for _, tc := range []struct {
		path string
		form url.Values
		done string
	}{
		{"/tra-loi", url.Values{"body": {"Thôn tôi cũng vậy."}, "consent": {"1"}}, "reply"},
		{"/cung-hoi", url.Values{}, "vote"},
		{"/bao-cao", url.Values{"reason": {"spam"}}, "report"},
	} {
		loc := location(t, anon.PostForm(fmt.Sprintf("/cau-hoi/%d%s", pub.ID, tc.path), tc.form))
		if !strings.HasPrefix(loc, slugged+"?done="+tc.done) {
			t.Errorf("%s redirects to %q, want %s?done=%s", tc.path, loc, slugged, tc.done)
		}
		st, page := bodyOf(t, anon, strings.SplitN(loc, "#", 2)[0])
		if st != 200 || !strings.Contains(page, `class="card flash" role="status"`) {
			t.Errorf("%s: %d, no confirmation on %s", tc.path, st, loc)
		}
	}
	// An old link with ?done= keeps it through the canonical redirect.
	r := anon.Do("GET", fmt.Sprintf("/cau-hoi/%d?done=vote", pub.ID), nil, nil)
	if loc := location(t, r); loc != slugged+"?done=vote" {
		t.Errorf("canonical redirect to %q, want %s?done=vote", loc, slugged)
	}

	// Reopening an answered question: POST → redirect → the tracking page.
	mustModerate(t, mod, pub.ID, map[string]any{"action": "answer", "body": "Điện lực huyện sẽ thay đèn trong tuần."})
	loc := location(t, anon.PostForm("/tra-cuu/mo-lai", url.Values{"code": {pub.TrackingCode}, "reason": {"Đã hai tuần, đèn vẫn hỏng."}}))
	if !strings.HasPrefix(loc, "/tra-cuu?reopened=1&code=") {
		t.Fatalf("reopen redirects to %q", loc)
	}
	_, page := bodyOf(t, anon, loc)
	wantIn(t, "after reopening", page, "Câu hỏi đã được mở lại")
}

// BASE_URL unset: the API's url fields are on the host the request came
// to, so a node reached by its address needs no configuration. Before, they
// pointed at http://localhost:8080 whatever the node listened on.
func TestBaseURLDefaultsToTheRequestHost(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	anon := newClient(t, n)
	q := mustAsk(t, anon, "Hỏi về địa chỉ trang", "Nội dung để kiểm tra đường dẫn.", "giao-thong-ha-tang")
	if !strings.HasPrefix(q.URL, n.URL+"/cau-hoi/") {
		t.Errorf("url %q, want it on %s (where the node listens)", q.URL, n.URL)
	}
	req, _ := http.NewRequest("GET", n.URL+fmt.Sprintf("/api/v1/questions/%d", q.ID), nil)
	req.Host = "hoidap.xa-example.vn:8080"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"url":"http://hoidap.xa-example.vn:8080/cau-hoi/`) {
		t.Errorf("GET with Host hoidap.xa-example.vn:8080: %s", b)
	}
	// With BASE_URL set it wins.
	m := MustStartNode(t, "", withEnv("BASE_URL", "https://hoidap.example.vn"))
	MustRun(t, m.DBURL, "", "seed")
	if q := mustAsk(t, newClient(t, m), "Hỏi về địa chỉ trang", "Nội dung để kiểm tra đường dẫn.", "giao-thong-ha-tang"); !strings.HasPrefix(q.URL, "https://hoidap.example.vn/cau-hoi/") {
		t.Errorf("BASE_URL set: url %q", q.URL)
	}
}
