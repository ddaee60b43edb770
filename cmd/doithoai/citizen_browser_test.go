package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/doithoai/doithoai/internal/testenv"
)

// phone is a headless Chromium the size of a common phone (390×844, touch),
// with page scripts off when noJS: many citizens browse that way.
func phone(t *testing.T, noJS bool) context.Context {
	t.Helper()
	ctx := testenv.Browser(t)
	err := chromedp.Run(ctx,
		emulation.SetDeviceMetricsOverride(390, 844, 3, true),
		emulation.SetTouchEmulationEnabled(true),
		chromedp.ActionFunc(func(ctx context.Context) error {
			if !noJS {
				return nil
			}
			return emulation.SetScriptExecutionDisabled(true).Do(ctx)
		}))
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// TestBrowserCitizenJourneyOnPhone walks a citizen's journey on a phone,
// without JavaScript, in Vietnamese and in English: ask (the confirmation
// gives the code, the due date and says the category is moderated first;
// reloading it files nothing), track (the question, sent and due dates),
// vote on a public question (confirmed after the redirect), search (the
// answer's words found), chat (without the script it opens nothing and
// offers the ask form). Then, with JavaScript on
// for axe, every citizen page has no serious or critical accessibility
// violation.
func TestBrowserCitizenJourneyOnPhone(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	d := newFeedbackDB(t, n.DBURL)
	MustCreateUser(t, n, "admin", "admin-a11y", "correct horse battery")
	MustCreateUser(t, n, "leader", "pct-a11y", "correct horse battery", "--name", "Phó Chủ tịch Vàng A Dế")
	anon, mod, admin := newClient(t, n), newClient(t, n), newClient(t, n)
	mod.MustLogin("mod1", "mod1-password")
	admin.MustLogin("admin-a11y", "correct horse battery")
	pub := mustAsk(t, anon, "Đường vào bản Lũng Cú bị sạt lở", "Đất đá lấp đường, xe máy không qua được.", "giao-thong-ha-tang")
	mustModerate(t, mod, pub.ID, map[string]any{"action": "answer", "body": "Hạt giao thông đã cho máy xúc dọn trong ngày."})
	var ss struct{ ID int64 }
	if r := admin.Do("POST", "/api/v1/live-sessions", map[string]any{"title": "Giao lưu về đường giao thông nông thôn",
		"starts_at": time.Now().Add(-time.Minute), "leaders": []string{"pct-a11y"}}, &ss); r.StatusCode != 201 {
		t.Fatalf("live session: %d", r.StatusCode)
	}

	mustOperatorOnline(t, n, "mod1", "mod1-password") // /chat offers a live chat
	type words struct{ lang, moderated, due, sent, answerBadge string }
	var codes []string
	for _, w := range []words{
		{"vi", "kiểm duyệt trước khi đăng", "Dự kiến trả lời trước", "Gửi lúc", "Trả lời chính thức"},
		{"en", "checked before publishing", "Answer expected by", "Sent", "Official answer"},
	} {
		t.Run(w.lang, func(t *testing.T) {
			ctx := phone(t, true)
			before := d.Count(`SELECT count(*) FROM forum_questions`)
			var opt, doneURL, code, done, track string
			err := chromedp.Run(ctx,
				chromedp.Navigate(n.URL+"/hoi?lang="+w.lang),
				chromedp.WaitVisible(`#title`, chromedp.ByID),
				chromedp.TextContent(`#category option[value="dat-dai"]`, &opt, chromedp.ByQuery),
				chromedp.SendKeys(`#title`, "Xin cấp giấy chứng nhận đất rẫy "+w.lang, chromedp.ByID),
				chromedp.SendKeys(`#body`, "Gia đình tôi canh tác đất rẫy từ năm 1995, chưa có giấy chứng nhận.", chromedp.ByID),
				chromedp.SetValue(`#category`, "dat-dai", chromedp.ByID),
				chromedp.Click(`#consent`, chromedp.ByID),
				chromedp.Click(`#send`, chromedp.ByID),
				chromedp.WaitVisible(`#tracking-code`, chromedp.ByID),
				chromedp.Location(&doneURL),
				chromedp.Text(`#tracking-code`, &code, chromedp.ByID),
				chromedp.Text(`main`, &done, chromedp.ByQuery),
				chromedp.Reload(), // a citizen refreshes the confirmation
				chromedp.WaitVisible(`#tracking-code`, chromedp.ByID),
			)
			screenshot(t, ctx, "citizen-ask-done-"+w.lang)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(opt, w.moderated) {
				t.Errorf("category option %q does not say it is moderated first", opt)
			}
			if !strings.Contains(doneURL, "/hoi/da-gui?code="+code) {
				t.Errorf("confirmation at %s: not a GET page of its own", doneURL)
			}
			if !strings.Contains(done, w.due) {
				t.Errorf("confirmation %q lacks the due date", done)
			}
			if got := d.Count(`SELECT count(*) FROM forum_questions`) - before; got != 1 {
				t.Fatalf("asking once and reloading the confirmation stored %d questions", got)
			}
			codes = append(codes, code)
			err = chromedp.Run(ctx,
				chromedp.Navigate(n.URL+"/tra-cuu?code="+code),
				chromedp.WaitVisible(`#track-question`, chromedp.ByID),
				chromedp.Text(`#track-result`, &track, chromedp.ByID),
			)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(track, "canh tác đất rẫy từ năm 1995") || !strings.Contains(track, w.sent) {
				t.Errorf("tracking page %q lacks the question or when it was sent", track)
			}
			var notice, results string
			err = chromedp.Run(ctx,
				chromedp.Navigate(n.URL+pagePath(t, pub)),
				chromedp.WaitVisible(`#vote`, chromedp.ByID),
				chromedp.Click(`#vote`, chromedp.ByID),
				chromedp.WaitVisible(`.flash[role=status]`, chromedp.ByQuery),
				chromedp.Text(`.flash[role=status]`, &notice, chromedp.ByQuery),
				chromedp.Navigate(n.URL+"/tim-kiem?q="+url.QueryEscape("máy xúc")),
				chromedp.WaitVisible(`#results`, chromedp.ByID),
				chromedp.Text(`#results`, &results, chromedp.ByID),
			)
			screenshot(t, ctx, "citizen-search-"+w.lang)
			if err != nil {
				t.Fatal(err)
			}
			if notice == "" {
				t.Error("the vote was not confirmed")
			}
			if !strings.Contains(results, "Lũng Cú") || !strings.Contains(results, w.answerBadge) {
				t.Errorf("search by the answer's words: %q", results)
			}
			// Chat needs the script: without it the start form opens
			// nothing and offers the ask form.
			var ask string
			err = chromedp.Run(ctx,
				chromedp.Navigate(n.URL+"/chat"),
				chromedp.WaitVisible(`#lc-start`, chromedp.ByID),
				chromedp.SendKeys(`#topic`, "hỏi về điện", chromedp.ByID),
				chromedp.Click(`#lc-start-form input[name=consent]`, chromedp.ByQuery),
				chromedp.Click(`#lc-start`, chromedp.ByID),
				chromedp.WaitVisible(`#lc-needs-js[role=alert]`, chromedp.ByQuery),
				chromedp.AttributeValue(`#lc-needs-js[role=alert] a`, "href", &ask, nil, chromedp.ByQuery),
			)
			screenshot(t, ctx, "citizen-chat-nojs-"+w.lang)
			if err != nil {
				t.Fatal(err)
			}
			if ask != "/hoi" {
				t.Errorf("chat without JavaScript offers %q, want the ask form", ask)
			}
			if got := d.Count(`SELECT count(*) FROM chat_conversations`); got != 0 {
				t.Errorf("%d conversations opened without JavaScript", got)
			}
		})
	}
	if t.Failed() || len(codes) == 0 {
		return
	}

	ctx := phone(t, false)
	// The check can fail: a page with an image without alt text and a
	// 10-pixel link is reported.
	var bad []axeViolation
	if err := chromedp.Run(ctx, chromedp.Navigate(`data:text/html,<html lang="vi"><title>x</title><main><img src="x.png"><a href="/a" style="font-size:4px">a</a> <a href="/b" style="font-size:4px">b</a></main></html>`),
		chromedp.Evaluate(axeSource+`;0`, nil),
		chromedp.Evaluate(`axe.run().then(r => r.violations)`, &bad, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })); err != nil {
		t.Fatal(err)
	}
	if ids := fmt.Sprint(bad); !strings.Contains(ids, "image-alt") {
		t.Fatalf("axe did not report a missing alt text: %s", ids)
	}
	for _, lang := range []string{"vi", "en"} {
		if err := chromedp.Run(ctx, chromedp.Navigate(n.URL+"/?lang="+lang)); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/", "/hoi", "/hoi/da-gui?code=" + codes[0], "/tra-cuu?code=" + codes[0], pagePath(t, pub),
			"/tim-kiem?q=" + url.QueryEscape("đất"), "/danh-muc/dat-dai", "/login", "/register", "/chat", "/giao-luu",
			fmt.Sprintf("/giao-luu/%d", ss.ID)} {
			if err := chromedp.Run(ctx, chromedp.Navigate(n.URL+p), chromedp.WaitVisible(`main`, chromedp.ByQuery)); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			wantAccessible(t, ctx, lang+" "+p)
		}
	}
}

// TestBrowserLiveSessionCitizenOnPhone: on a live session's page (with
// JavaScript) a citizen asks with the plain form; their question is listed
// as pending; when a moderator approves it the mark goes away, and when
// the leader ends the session the page turns into the archive by itself,
// with no ask form left.
func TestBrowserLiveSessionCitizenOnPhone(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	MustCreateUser(t, n, "admin", "admin-lv", "correct horse battery")
	MustCreateUser(t, n, "leader", "pct-lv", "correct horse battery", "--name", "Chủ tịch Hầu A Lềnh")
	admin, mod, leader := newClient(t, n), newClient(t, n), newClient(t, n)
	admin.MustLogin("admin-lv", "correct horse battery")
	mod.MustLogin("mod1", "mod1-password")
	leader.MustLogin("pct-lv", "correct horse battery")
	var ss struct{ ID int64 }
	if r := admin.Do("POST", "/api/v1/live-sessions", map[string]any{"title": "Giao lưu về chợ phiên",
		"starts_at": time.Now().Add(-time.Minute), "leaders": []string{"pct-lv"}}, &ss); r.StatusCode != 201 {
		t.Fatalf("live session: %d", r.StatusCode)
	}
	ctx := phone(t, false)
	err := chromedp.Run(ctx,
		chromedp.Navigate(fmt.Sprintf("%s/giao-luu/%d", n.URL, ss.ID)),
		chromedp.WaitVisible(`#qbody`, chromedp.ByID),
		chromedp.SendKeys(`#qbody`, "Chợ phiên có mở vào Chủ nhật không?", chromedp.ByID),
		chromedp.Submit(`#qbody`, chromedp.ByID),
		chromedp.WaitVisible(`#lc-questions li.own .badge.pending`, chromedp.ByQuery),
		chromedp.Poll(`document.readyState === 'complete'`, nil),
	)
	screenshot(t, ctx, "live-own-pending")
	if err != nil {
		t.Fatal(err)
	}
	var desk struct{ Questions []struct{ ID int64 } }
	mod.Do("GET", fmt.Sprintf("/api/v1/live-sessions/%d", ss.ID), nil, &desk)
	if len(desk.Questions) != 1 {
		t.Fatalf("desk: %+v", desk.Questions)
	}
	// The page's socket may still be joining: approve once it is in.
	if err := chromedp.Run(ctx, chromedp.Poll(`document.getElementById('lc-viewers') && document.getElementById('lc-viewers').textContent !== ''`, nil, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the page never joined the room: %v", err)
	}
	if r := mod.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions/%d/approve", ss.ID, desk.Questions[0].ID), map[string]string{}, nil); r.StatusCode != 204 {
		t.Fatalf("approve: %d", r.StatusCode)
	}
	if err := chromedp.Run(ctx, chromedp.WaitNotPresent(`#lc-questions li.own .badge.pending`, chromedp.ByQuery)); err != nil {
		t.Fatalf("approved question still marked pending: %v", err)
	}
	if r := leader.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/end", ss.ID), nil, nil); r.StatusCode != 204 {
		t.Fatalf("end: %d", r.StatusCode)
	}
	if err := chromedp.Run(ctx, chromedp.WaitVisible(`#lc-archive`, chromedp.ByID), chromedp.WaitNotPresent(`#qbody`, chromedp.ByID)); err != nil {
		t.Fatalf("the page did not turn into the archive: %v", err)
	}
}
