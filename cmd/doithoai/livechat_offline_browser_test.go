package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// In a browser under the strict CSP: a citizen opens a chat while an
// operator is online, nobody takes it within CHAT_ACCEPT_WAIT, and the
// page's script switches the waiting chat to the offline form; sent, it
// shows the tracking code. No CSP violation on the way.
func TestBrowserChatWaitSwitchesToOfflineForm(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "", withEnv("CHAT_ACCEPT_WAIT", "1s"))
	MustCreateUser(t, n, "moderator", "mod-brw", "correct horse battery")
	mustOperatorOnline(t, n, "mod-brw", "correct horse battery")
	ctx := cspBrowser(t)
	tctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	err := chromedp.Run(tctx,
		chromedp.Navigate(n.URL+"/chat?lang=en"),
		chromedp.SendKeys("#topic", "Hỏi về học bổng", chromedp.ByID),
		chromedp.Click(`input[name="consent"]`, chromedp.ByQuery),
		chromedp.Click("#lc-start", chromedp.ByID),
		chromedp.WaitVisible("#lc-log", chromedp.ByID))
	if err != nil {
		t.Fatal(err)
	}
	// The form is in the page from the start, hidden until the frame comes.
	var hiddenAtFirst bool
	if err := chromedp.Run(tctx, chromedp.Evaluate(`document.getElementById('lc-offline').hidden`, &hiddenAtFirst)); err != nil {
		t.Fatal(err)
	}
	if !hiddenAtFirst {
		t.Error("the offline form shows before the wait ran out")
	}
	err = chromedp.Run(tctx,
		chromedp.Poll(`document.getElementById('lc').dataset.offline === '1'`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.WaitVisible("#off-question", chromedp.ByID))
	if err != nil {
		t.Fatalf("the waiting chat never switched to the offline form: %v", err)
	}
	wantNoCSPViolation(t, tctx, "chat switched to the offline form", "#lc-offline-form")
	var code string
	err = chromedp.Run(tctx,
		chromedp.SendKeys("#off-contact", "0988777666", chromedp.ByID),
		chromedp.Click(`#lc-offline-form input[name="consent"]`, chromedp.ByQuery),
		chromedp.Click("#lc-offline-send", chromedp.ByID),
		chromedp.WaitVisible("#lc-code", chromedp.ByID),
		chromedp.Text("#lc-code", &code, chromedp.ByID))
	if err != nil {
		t.Fatal(err)
	}
	if len(code) < 6 {
		t.Errorf("tracking code %q", code)
	}
}
