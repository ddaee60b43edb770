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
	// An SMS has no request to take a host from: its link is the address
	// the node listens on (it was http://localhost:8080 whatever the port).
	told := askWithContact(t, anon, map[string]any{"phone": "0912 345 678", "consent": true})
	var sms string
	if err := newFeedbackDB(t, n.DBURL).pool.QueryRow(t.Context(), `SELECT body FROM notification_outbox WHERE tracking_code = $1 AND channel = 'sms'`, told.TrackingCode).Scan(&sms); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sms, n.URL+"/tra-cuu?code="+told.TrackingCode) {
		t.Errorf("SMS %q does not link to %s", sms, n.URL)
	}
	// With BASE_URL set it wins.
	m := MustStartNode(t, "", withEnv("BASE_URL", "https://hoidap.example.vn"))
	MustRun(t, m.DBURL, "", "seed")
	if q := mustAsk(t, newClient(t, m), "Hỏi về địa chỉ trang", "Nội dung để kiểm tra đường dẫn.", "giao-thong-ha-tang"); !strings.HasPrefix(q.URL, "https://hoidap.example.vn/cau-hoi/") {
		t.Errorf("BASE_URL set: url %q", q.URL)
	}
}

// A citizen registers with a number as people write it ("+84 9…"): the
// form's errors come together with what was typed kept, the account is
// then made in national form and signing in works with +84, 84… or 0….
func TestCitizenRegistersAndSignsInWithAnyPhoneForm(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	d := newFeedbackDB(t, n.DBURL)
	c := newClient(t, n)
	r := c.PostForm("/register", url.Values{"login": {"+84 987 654 321"}, "name": {"Hoàng Thị Dung"}, "password": {"ngắn"}})
	page := pageOf(t, r)
	if r.StatusCode != 422 {
		t.Fatalf("register with a short password and no consent: %d", r.StatusCode)
	}
	// Both errors at once (before, only the consent was reported), the
	// number kept in national form, the password kept.
	wantIn(t, "refused registration", page, "Bạn cần đồng ý", "Mật khẩu cần ít nhất 8 ký tự", `value="0987654321"`, `value="ngắn"`, `value="Hoàng Thị Dung"`)
	if got := d.Count(`SELECT count(*) FROM users WHERE role = 'citizen' AND login = '0987654321'`); got != 0 {
		t.Fatalf("a refused registration made %d accounts", got)
	}
	if loc := location(t, c.PostForm("/register", url.Values{"login": {"+84 987 654 321"}, "name": {"Hoàng Thị Dung"}, "password": {"mật khẩu dài"}, "consent": {"1"}})); loc != "/" {
		t.Fatalf("register redirects to %q", loc)
	}
	if got := d.Count(`SELECT count(*) FROM users WHERE role = 'citizen' AND login = '0987654321'`); got != 1 {
		t.Fatalf("%d accounts 0987654321", got)
	}
	for _, login := range []string{"+84987654321", "84987654321", "+84 987 654 321", "0987 654 321", "0987654321"} {
		if st := loginAPI(newClient(t, n), login, "mật khẩu dài"); st != 200 {
			t.Errorf("login as %q: %d", login, st)
		}
	}
	if st := loginAPI(newClient(t, n), "+84987654321", "wrong password"); st != 401 {
		t.Errorf("wrong password as +84…: %d", st)
	}
	// Signed in, the ask and chat forms know the citizen's name and number.
	_, ask := bodyOf(t, c, "/hoi")
	wantIn(t, "/hoi signed in", ask, `id="name" name="name" type="text" value="Hoàng Thị Dung"`, `id="contact" name="contact" type="text" value="0987654321"`)
	_, chat := bodyOf(t, c, "/chat")
	wantIn(t, "/chat signed in", chat, `value="Hoàng Thị Dung"`)
	MustCreateUser(t, n, "admin", "admin-reg", "correct horse battery")
	MustCreateUser(t, n, "leader", "pct-reg", "correct horse battery")
	admin := newClient(t, n)
	admin.MustLogin("admin-reg", "correct horse battery")
	var ss struct{ ID int64 }
	if r := admin.Do("POST", "/api/v1/live-sessions", map[string]any{"title": "Giao lưu", "starts_at": time.Now().Add(time.Hour), "leaders": []string{"pct-reg"}}, &ss); r.StatusCode != 201 {
		t.Fatalf("schedule: %d", r.StatusCode)
	}
	_, live := bodyOf(t, c, fmt.Sprintf("/giao-luu/%d", ss.ID))
	wantIn(t, "live session signed in", live, `id="qname" name="name" maxlength="80" value="Hoàng Thị Dung"`, `autocomplete="tel" value="0987654321"`)
}

// A chat form sent by a browser without JavaScript opens nothing (a
// conversation it could never use sat in the operators' queue): the page
// says so and offers the ask form.
func TestChatWithoutJavaScriptOpensNoConversation(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	d := newFeedbackDB(t, n.DBURL)
	mustOperatorOnline(t, n, "mod1", "mod1-password") // else /chat offers the offline form
	c := newClient(t, n)
	_, page := bodyOf(t, c, "/chat")
	wantIn(t, "/chat", page, "<noscript>", `name="js" id="lc-js"`)
	r := c.PostForm("/chat", url.Values{"name": {"Sùng A Páo"}, "topic": {"hỏi về điện"}, "consent": {"1"}})
	page = pageOf(t, r)
	if r.StatusCode != 422 {
		t.Fatalf("chat without JavaScript: %d", r.StatusCode)
	}
	wantIn(t, "chat without JavaScript", page, `id="lc-needs-js"`, "cần JavaScript", `href="/hoi"`)
	if got := d.Count(`SELECT count(*) FROM chat_conversations`); got != 0 {
		t.Fatalf("%d conversations opened by a browser without JavaScript", got)
	}
}

// A live session's citizen side without JavaScript: the asker sees their
// own question as pending (nobody else does), the code's tracking page
// shows the question and, once answered, the leader who answered; after
// the end there is no ask form, and a question sent from a page opened
// before says why it was refused.
func TestLiveSessionCitizenSide(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	MustCreateUser(t, n, "admin", "admin-live", "correct horse battery")
	MustCreateUser(t, n, "leader", "pct-live", "correct horse battery", "--name", "Chủ tịch Giàng Seo Phử")
	admin, mod, leader, asker, other := newClient(t, n), newClient(t, n), newClient(t, n), newClient(t, n), newClient(t, n)
	admin.MustLogin("admin-live", "correct horse battery")
	mod.MustLogin("mod1", "mod1-password")
	leader.MustLogin("pct-live", "correct horse battery")
	var ss struct{ ID int64 }
	if r := admin.Do("POST", "/api/v1/live-sessions", map[string]any{"title": "Giao lưu về nước sạch",
		"starts_at": time.Now().Add(-time.Minute), "leaders": []string{"pct-live"}}, &ss); r.StatusCode != 201 {
		t.Fatalf("schedule: %d", r.StatusCode)
	}
	path := fmt.Sprintf("/giao-luu/%d", ss.ID)
	question := "Bao giờ bản Sín Chải có nước sạch?"
	loc := location(t, asker.PostForm(path+"/hoi", url.Values{"body": {question}}))
	u, _ := url.Parse(loc)
	code := u.Query().Get("asked")
	_, mine := bodyOf(t, asker, path)
	wantIn(t, "asker's page", mine, `data-status="pending"`, "đang chờ duyệt", question)
	if _, theirs := bodyOf(t, other, path); strings.Contains(theirs, question) {
		t.Error("another viewer sees a pending question")
	}
	if _, guess := bodyOf(t, other, loc); strings.Contains(guess, question) {
		t.Error("the ?asked= code alone shows the pending question (an oracle for guessed codes)")
	}
	_, track := bodyOf(t, asker, "/tra-cuu?code="+code)
	wantIn(t, "live question's tracking page", track, question)

	var desk struct {
		Questions []struct {
			ID     int64
			Status string
		}
	}
	mod.Do("GET", fmt.Sprintf("/api/v1/live-sessions/%d", ss.ID), nil, &desk)
	if len(desk.Questions) != 1 {
		t.Fatalf("desk sees %+v", desk.Questions)
	}
	qid := desk.Questions[0].ID
	if r := mod.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions/%d/approve", ss.ID, qid), map[string]string{}, nil); r.StatusCode != 204 {
		t.Fatalf("approve: %d", r.StatusCode)
	}
	if r := leader.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/answers", ss.ID), map[string]any{"question_id": qid, "body": "Công trình nước xong trong quý hai."}, nil); r.StatusCode != 201 {
		t.Fatalf("answer: %d", r.StatusCode)
	}
	_, track = bodyOf(t, asker, "/tra-cuu?code="+code)
	wantIn(t, "answered live question's tracking page", track, question, "Công trình nước xong trong quý hai.", `id="track-answerer">Chủ tịch Giàng Seo Phử`)

	if r := leader.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/end", ss.ID), nil, nil); r.StatusCode != 204 {
		t.Fatalf("end: %d", r.StatusCode)
	}
	_, ended := bodyOf(t, other, path)
	if strings.Contains(ended, `action="`+path+`/hoi"`) {
		t.Error("an ended session still offers the ask form")
	}
	r := other.PostForm(path+"/hoi", url.Values{"body": {"Câu hỏi gửi muộn"}})
	page := pageOf(t, r)
	if r.StatusCode != 422 {
		t.Fatalf("question after the end: %d", r.StatusCode)
	}
	wantIn(t, "question after the end", page, `id="lc-refused"`, "Buổi giao lưu đã kết thúc")
}

// Search finds a question by its official answer, shows the answer's
// words in the snippet, and marks the exact form typed.
func TestSearchFindsAnswers(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	anon, mod := newClient(t, n), newClient(t, n)
	mod.MustLogin("mod1", "mod1-password")
	q := mustAsk(t, anon, "Làm sổ đỏ cho đất rẫy", "Gia đình tôi có đất rẫy, muốn làm sổ.", "dat-dai")
	mustModerate(t, mod, q.ID, map[string]any{"action": "approve"}, map[string]any{"action": "answer", "body": "Ông bà nộp hồ sơ cấp giấy chứng nhận tại bộ phận một cửa của xã."})
	var sr struct {
		Results []struct {
			ID       int64
			Snippet  string
			InAnswer bool `json:"in_answer"`
		}
	}
	anon.Do("GET", "/api/v1/search?q="+url.QueryEscape("một cửa"), nil, &sr)
	if len(sr.Results) != 1 || sr.Results[0].ID != q.ID || !sr.Results[0].InAnswer || !strings.Contains(sr.Results[0].Snippet, "<mark>một</mark> <mark>cửa</mark>") {
		t.Fatalf("search by the answer's words: %+v", sr.Results)
	}
	_, page := bodyOf(t, anon, "/tim-kiem?q="+url.QueryEscape("đất"))
	if !strings.Contains(page, "<mark>đất</mark>") || strings.Contains(page, "<mark>đạt</mark>") {
		t.Errorf("search page for đất: %s", page)
	}
}
