package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/doithoai/doithoai/internal/testenv"
)

// cspWatch runs in every document before the page's own scripts and keeps
// each Content-Security-Policy violation the page reports.
const cspWatch = `window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' at ' + (e.sourceFile || '') + ':' + e.lineNumber);
});`

// cspProbe injects an inline script, which the policy must refuse.
const cspProbe = `(function () {
  var s = document.createElement('script');
  s.textContent = 'window.__probe = 1';
  document.head.appendChild(s);
  return window.__probe === 1;
})()`

// cspBrowser is a headless Chromium that records CSP violations.
func cspBrowser(t *testing.T) context.Context {
	t.Helper()
	ctx := testenv.Browser(t)
	err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(cspWatch).Do(ctx)
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// wantNoCSPViolation checks the page open in ctx (once sel is visible):
// it reported no violation while loading and running, and the policy is
// enforced (the injected probe is refused, and that refusal is reported,
// which also shows the watch works).
func wantNoCSPViolation(t *testing.T, ctx context.Context, what, sel string) {
	t.Helper()
	var ran bool
	if err := chromedp.Run(ctx, chromedp.WaitVisible(sel, chromedp.ByQuery),
		chromedp.Poll(`document.readyState === 'complete'`, nil), // deferred scripts have run
		chromedp.Evaluate(cspProbe, &ran)); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if ran {
		t.Errorf("%s: an injected inline script ran: no Content-Security-Policy is enforced", what)
		return
	}
	var got []string
	deadline := time.Now().Add(10 * time.Second)
	for len(got) == 0 {
		if err := chromedp.Run(ctx, chromedp.Evaluate(`window.__csp`, &got)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(got) == 0 && time.Now().After(deadline) {
			t.Fatalf("%s: the refused probe was never reported", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(got) != 1 || !strings.HasPrefix(got[len(got)-1], "script-src") {
		t.Errorf("%s: CSP violations besides the probe: %q", what, got)
	}
}

// visit opens path in ctx and checks it as wantNoCSPViolation does.
func visit(t *testing.T, ctx context.Context, n *node, path, sel string) {
	t.Helper()
	if err := chromedp.Run(ctx, chromedp.Navigate(n.URL+path)); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	wantNoCSPViolation(t, ctx, path, sel)
}

// TestBrowserPagesUnderCSP walks the main pages of every role under the
// strict policy: none reports a violation, and the scripts that matter
// (live console queue, canned answers, live chat) still work.
func TestBrowserPagesUnderCSP(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	MustCreateUser(t, n, "leader", "lead1", "leader-password")
	MustCreateUser(t, n, "admin", "admin1", "admin-password")
	anon, mod, admin := newClient(t, n), newClient(t, n), newClient(t, n)
	mod.MustLogin("mod1", "mod1-password")
	admin.MustLogin("admin1", "admin-password")

	answered := mustAsk(t, anon, "Đường vào bản bị sạt lở", "Xin hỏi khi nào sửa đường?", "giao-thong-ha-tang")
	mustModerate(t, mod, answered.ID, map[string]any{"action": "answer", "body": "Huyện sẽ sửa trong tháng này.\nXin cảm ơn."})
	held := mustAsk(t, anon, "Trợ cấp cho người cao tuổi", "Bao nhiêu tuổi thì được trợ cấp?", "giao-thong-ha-tang")
	heldItem := mustModerate(t, mod, held.ID)
	canned := "Người từ đủ 80 tuổi được trợ cấp hằng tháng."
	if r := mod.Do("POST", "/api/v1/moderation/canned-answers", map[string]string{"title": "Trợ cấp", "body": canned, "language": "vi"}, nil); r.StatusCode != 201 {
		t.Fatalf("canned answer: %d", r.StatusCode)
	}
	var ss struct{ ID int64 }
	if r := admin.Do("POST", "/api/v1/live-sessions", map[string]any{"title": "Giao lưu trực tuyến", "starts_at": time.Now().Add(-time.Minute), "leaders": []string{"lead1"}}, &ss); r.StatusCode != 201 {
		t.Fatalf("live session: %d", r.StatusCode)
	}
	session := fmt.Sprintf("/giao-luu/%d", ss.ID)

	t.Run("Citizen", func(t *testing.T) {
		t.Parallel()
		ctx := cspBrowser(t)
		for _, p := range []struct{ path, sel string }{
			{"/", "main"},
			{"/hoi", "#title"},
			{"/tim-kiem?q=đường", "main"},
			{"/tra-cuu?code=" + answered.TrackingCode, "#track-answer"},
			{fmt.Sprintf("/cau-hoi/%d", answered.ID), "main"},
			{"/giao-luu", "main"},
			{session, "#lc"},
			{"/login", "#login"},
			{"/no-such-page", "main"},
		} {
			visit(t, ctx, n, p.path, p.sel)
		}
		// A support chat: the page with the live chat script and socket.
		mustOperatorOnline(t, n, "mod1", "mod1-password")
		err := chromedp.Run(ctx,
			chromedp.Navigate(n.URL+"/chat"),
			chromedp.SendKeys("#name", "Lò Văn Pó", chromedp.ByID),
			chromedp.SendKeys("#topic", "Hỏi về bảo hiểm y tế", chromedp.ByID),
			chromedp.Click(`input[name="consent"]`, chromedp.ByQuery),
			chromedp.Click("#lc-start", chromedp.ByID))
		if err != nil {
			t.Fatal(err)
		}
		wantNoCSPViolation(t, ctx, "support chat", "#lc-log")
	})

	t.Run("Moderator", func(t *testing.T) {
		t.Parallel()
		ctx := cspBrowser(t)
		if err := fbLogin(ctx, n.URL, "mod1", "mod1-password"); err != nil {
			t.Fatal(err)
		}
		visit(t, ctx, n, "/console", "#queue")
		// The queue reloads itself when an item arrives (console script and
		// server-sent events under the policy).
		title := "Cấp nước sạch cho bản Pà Cò"
		mustAsk(t, anon, title, "Bản chưa có nước sạch.", "giao-thong-ha-tang")
		if err := chromedp.Run(ctx, waitTextIn("#queue", title, 20*time.Second)); err != nil {
			t.Fatalf("live queue: %v", err)
		}
		visit(t, ctx, n, fmt.Sprintf("/console/items/%d", heldItem.ID), "#canned")
		var body string
		err := chromedp.Run(ctx,
			chromedp.SetValue("#canned", canned, chromedp.ByID),
			chromedp.Evaluate(`document.getElementById('canned').dispatchEvent(new Event('change'))`, nil),
			chromedp.Value("#body", &body, chromedp.ByID))
		if err != nil || body != canned {
			t.Fatalf("canned answer into the form: %q %v", body, err)
		}
		for _, p := range []struct{ path, sel string }{
			{"/hotline", "main"},
			{"/chat/console", "#lc"},
			{session + "/dieu-phoi", "#lc"},
		} {
			visit(t, ctx, n, p.path, p.sel)
		}
	})

	t.Run("Leader", func(t *testing.T) {
		t.Parallel()
		ctx := cspBrowser(t)
		if err := fbLogin(ctx, n.URL, "lead1", "leader-password"); err != nil {
			t.Fatal(err)
		}
		visit(t, ctx, n, "/dashboard/print", ".kpis")
		// The print view's own style sheet hides the navigation.
		var display string
		if err := chromedp.Run(ctx, chromedp.Evaluate(`getComputedStyle(document.querySelector('.top')).display`, &display)); err != nil || display != "none" {
			t.Errorf("print view shows the navigation: %q %v", display, err)
		}
		for _, p := range []struct{ path, sel string }{
			{"/dashboard", ".kpis"},
			{"/dashboard/escalated", "main"},
			{"/directives", "main"},
			{session + "/tra-loi", "#lc"},
		} {
			visit(t, ctx, n, p.path, p.sel)
		}
	})

	t.Run("Admin", func(t *testing.T) {
		t.Parallel()
		ctx := cspBrowser(t)
		if err := fbLogin(ctx, n.URL, "admin1", "admin-password"); err != nil {
			t.Fatal(err)
		}
		visit(t, ctx, n, "/giao-luu/moi", "main form")
	})
}

// waitTextIn waits until the element sel contains want.
func waitTextIn(sel, want string, within time.Duration) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if want == "" { // any text contains ""
			return fmt.Errorf("waitTextIn %s: no text to wait for", sel)
		}
		ctx, cancel := context.WithTimeout(ctx, within)
		defer cancel()
		for {
			var got string
			if err := chromedp.Text(sel, &got, chromedp.ByQuery).Do(ctx); err == nil && strings.Contains(got, want) {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s never showed %q", sel, want)
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}
