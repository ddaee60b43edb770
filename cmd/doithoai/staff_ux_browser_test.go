package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/doithoai/doithoai/internal/testenv"
)

// staffBrowser is a desktop Chromium signed in as login; it returns where
// the sign-in landed.
func staffBrowser(t *testing.T, d *demoNode, login string) (context.Context, string) {
	t.Helper()
	ctx := testenv.Browser(t)
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(1366, 900)); err != nil {
		t.Fatal(err)
	}
	if err := fbLogin(ctx, d.URL, login, d.passwords[login]); err != nil {
		t.Fatal(err)
	}
	var loc string
	if err := chromedp.Run(ctx, chromedp.Location(&loc)); err != nil {
		t.Fatal(err)
	}
	return ctx, loc
}

// waitLocation waits until the page's address contains part: a form's
// navigation may still be under way when the click returns.
func waitLocation(t *testing.T, ctx context.Context, part string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var loc string
	for {
		err := chromedp.Run(ctx, chromedp.WaitReady(`body`, chromedp.ByQuery), chromedp.Location(&loc))
		if err == nil && strings.Contains(loc, part) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page is %s (%v), want an address with %q", loc, err, part)
		}
	}
}

// waitJS polls expr (a boolean expression) until it is true.
func waitJS(expr string) chromedp.Action {
	return chromedp.Poll(expr, nil, chromedp.WithPollingTimeout(20*time.Second))
}

// TestModeratorJourneyBrowser: a moderator on a desktop works the demo's
// queue in Vietnamese and in English: the tab title counts a question that
// arrives (and stops once alerts are off), the item page gives the answer
// form the wide column, answering ends on a confirmation whose button
// claims the next item, the history reads in words, and the live desk
// receives a new question without reloading.
func TestModeratorJourneyBrowser(t *testing.T) {
	t.Parallel()
	d := mustStartDemoNode(t)
	ctx, landed := staffBrowser(t, d, "modvien")
	if !strings.HasSuffix(landed, "/console") {
		t.Fatalf("a moderator lands on %s", landed)
	}
	citizen := newClient(t, d.node)
	ask := func(title string) {
		t.Helper()
		if r := citizen.Do("POST", "/api/v1/questions", map[string]any{"title": title, "category": "khac",
			"body": "Xin hỏi thủ tục và thời gian giải quyết cụ thể."}, nil); r.StatusCode != 201 {
			t.Fatalf("ask: %d", r.StatusCode)
		}
	}

	var queue string
	err := chromedp.Run(ctx,
		chromedp.WaitVisible(`#claim-next`, chromedp.ByID),
		chromedp.Text(`#queue`, &queue, chromedp.ByID),
		// The page's live stream is open once the toggle is wired; a new
		// question then counts in the title.
		waitJS(`!!window.DoiThoaiAlert && document.getElementById('alert-toggle').checked`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(queue, "Y tế, giáo dục") {
		t.Fatalf("the queue does not name categories: %q", queue)
	}
	// The SSE stream connects asynchronously: ask until the title counts.
	deadline := time.Now().Add(20 * time.Second)
	var title string
	for i := 0; ; i++ {
		ask(fmt.Sprintf("Câu hỏi mới số %d về giờ làm việc", i))
		err := chromedp.Run(ctx, chromedp.Poll(`document.title.startsWith('(')`, nil, chromedp.WithPollingTimeout(2*time.Second)), chromedp.Title(&title))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the title never counted a new question: %q", title)
		}
	}
	// Alerts off: the count goes, and the next question (seen in the
	// reloaded queue) adds none.
	err = chromedp.Run(ctx,
		chromedp.Click(`#alert-toggle`, chromedp.ByID),
		waitJS(`!document.title.startsWith('(')`),
	)
	if err != nil {
		t.Fatal(err)
	}
	ask("Câu hỏi khi đã tắt báo hiệu")
	err = chromedp.Run(ctx,
		waitJS(`document.getElementById('queue').textContent.includes('Câu hỏi khi đã tắt báo hiệu')`),
		chromedp.Title(&title),
	)
	if err != nil || strings.HasPrefix(title, "(") {
		t.Fatalf("with alerts off the title is %q (%v)", title, err)
	}

	// Claim the most urgent item; the item and its forms get the wide column.
	var mainW, asideW float64
	err = chromedp.Run(ctx,
		chromedp.Click(`#claim-next`, chromedp.ByID),
		chromedp.WaitVisible(`#body`, chromedp.ByID),
		chromedp.Evaluate(`document.querySelector('.item-layout > section').getBoundingClientRect().width`, &mainW),
		chromedp.Evaluate(`document.querySelector('.item-layout > aside').getBoundingClientRect().width`, &asideW),
	)
	screenshot(t, ctx, "moderator-item")
	if err != nil {
		t.Fatal(err)
	}
	if mainW < 1.5*asideW {
		t.Fatalf("the answer column is %.0f px beside a %.0f px history", mainW, asideW)
	}
	var first, doneText, second string
	err = chromedp.Run(ctx,
		chromedp.Location(&first),
		chromedp.SendKeys(`#body`, "Cảm ơn bạn, cơ quan chuyên môn đã tiếp nhận.", chromedp.ByID),
		chromedp.Click(`#answer`, chromedp.ByID),
		chromedp.WaitVisible(`#action-done`, chromedp.ByID),
		chromedp.Text(`#action-done p`, &doneText, chromedp.ByQuery),
		chromedp.Click(`#next-item`, chromedp.ByID),
		chromedp.WaitVisible(`#body`, chromedp.ByID),
		chromedp.Location(&second),
	)
	screenshot(t, ctx, "moderator-next")
	if err != nil {
		t.Fatal(err)
	}
	if doneText != "Đã gửi câu trả lời." || second == first || strings.Contains(second, "done=") {
		t.Fatalf("after answering: %q, then %s (was %s)", doneText, second, first)
	}

	// In English, the escalated complaint's page and history are in words.
	complaint := d.id(t, `SELECT i.id FROM moderation_items i JOIN forum_questions q ON i.source = 'forum_question' AND i.ref = q.id::text WHERE q.kind = 'complaint'`)
	var history, meta string
	err = chromedp.Run(ctx,
		chromedp.Navigate(fmt.Sprintf("%s/console/items/%d?lang=en", d.URL, complaint)),
		chromedp.WaitVisible(`#history`, chromedp.ByID),
		chromedp.Text(`#history`, &history, chromedp.ByID),
		chromedp.Text(`.item-layout > section p.muted`, &meta, chromedp.ByQuery),
	)
	screenshot(t, ctx, "moderator-history-en")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"System · Received", "System · Escalated: past its due time", "System · Directive overdue", "Trần Văn Lãnh Đạo · Directive"} {
		if !strings.Contains(history, want) {
			t.Errorf("English history lacks %q:\n%s", want, history)
		}
	}
	if strings.Contains(history, "directive_overdue") || strings.Contains(history, "system ·") {
		t.Errorf("English history shows codes:\n%s", history)
	}

	// The live desk of the upcoming dialogue receives a question live.
	sid := d.id(t, `SELECT id FROM live_sessions WHERE ended_at IS NULL`)
	err = chromedp.Run(ctx,
		chromedp.Navigate(fmt.Sprintf("%s/giao-luu/%d/dieu-phoi?lang=vi", d.URL, sid)),
		chromedp.WaitVisible(`#lc-pending`, chromedp.ByID),
		waitJS(`!!window.DoiThoaiAlert`),
	)
	if err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		body := fmt.Sprintf("Bồi thường đất vườn tính thế nào? (%d)", i)
		if r := citizen.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions", sid), map[string]any{"body": body}, nil); r.StatusCode != 201 {
			t.Fatalf("live question: %d", r.StatusCode)
		}
		err := chromedp.Run(ctx, chromedp.Poll(`document.getElementById('lc-pending').textContent.includes('Bồi thường đất vườn')`, nil,
			chromedp.WithPollingTimeout(3*time.Second)))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the live desk never showed the new question without a reload")
		}
	}
}

// TestLeaderJourneyBrowser: a leader on a desktop lands on the dashboard,
// picks a range that the print view keeps, reads full-width charts with
// value labels and textures, cannot give a directive with a past deadline
// and gives one in time, and reads the dashboard in English.
func TestLeaderJourneyBrowser(t *testing.T) {
	t.Parallel()
	d := mustStartDemoNode(t)
	ctx, landed := staffBrowser(t, d, "lanhdao")
	if !strings.HasSuffix(landed, "/dashboard") {
		t.Fatalf("a leader lands on %s", landed)
	}
	from := time.Now().AddDate(0, 0, -14).Format("2006-01-02")
	var printHref, shown string
	var trendW, cardW float64
	var values, textured int
	err := chromedp.Run(ctx,
		chromedp.WaitVisible(`#kpi-total`, chromedp.ByID),
		chromedp.SetValue(`#from`, from, chromedp.ByID),
		chromedp.Click(`#apply-range`, chromedp.ByID),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitLocation(t, ctx, "from="+from)
	err = chromedp.Run(ctx,
		chromedp.WaitVisible(`#print-link`, chromedp.ByID),
		chromedp.AttributeValue(`#print-link`, "href", &printHref, nil, chromedp.ByID),
		chromedp.Evaluate(`document.querySelector('#chart-trend svg').getBoundingClientRect().width`, &trendW),
		chromedp.Evaluate(`document.querySelector('#chart-trend').clientWidth`, &cardW),
		chromedp.Evaluate(`document.querySelectorAll('#chart-trend text.value').length`, &values),
		chromedp.Evaluate(`document.querySelectorAll('svg rect[fill^="url(#pat-"]').length`, &textured),
	)
	screenshot(t, ctx, "leader-dashboard")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(printHref, "from="+from+"&to=") {
		t.Fatalf("the print link %q loses the range", printHref)
	}
	if trendW < 0.85*cardW || values == 0 || textured == 0 {
		t.Fatalf("trend %.0f px in a %.0f px card, %d value labels, %d textured shapes", trendW, cardW, values, textured)
	}
	err = chromedp.Run(ctx,
		chromedp.Click(`#print-link`, chromedp.ByID),
		chromedp.WaitVisible(`#kpi-total`, chromedp.ByID),
		chromedp.Text(`#range-shown`, &shown, chromedp.ByID),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitLocation(t, ctx, "/dashboard/print?from="+from)
	if err := chromedp.Run(ctx, chromedp.Text(`#range-shown`, &shown, chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	if fromVN := time.Now().AddDate(0, 0, -14).Format("02/01/2006"); !strings.Contains(shown, fromVN) {
		t.Fatalf("the print view shows %q, not the range from %s", shown, fromVN)
	}

	// A directive: the form will not take a past deadline; one in time is confirmed.
	item := d.id(t, `SELECT id FROM moderation_items WHERE title LIKE 'Đèn đường thôn Nà Hang%'`)
	before := d.id(t, `SELECT count(*) FROM directives`)
	past := time.Now().Add(-48 * time.Hour).Format("2006-01-02T15:04")
	future := time.Now().Add(72 * time.Hour).Format("2006-01-02T15:04")
	var underflow bool
	var doneText, dirs string
	err = chromedp.Run(ctx,
		chromedp.Navigate(fmt.Sprintf("%s/console/items/%d", d.URL, item)),
		chromedp.WaitVisible(`#dnote`, chromedp.ByID),
		chromedp.SendKeys(`#dnote`, "Sửa đèn trong tuần", chromedp.ByID),
		chromedp.SetValue(`#ddeadline`, past, chromedp.ByID),
		chromedp.Evaluate(`document.getElementById('ddeadline').validity.rangeUnderflow`, &underflow),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !underflow {
		t.Fatal("the deadline field accepts a past time")
	}
	err = chromedp.Run(ctx,
		chromedp.SetValue(`#ddeadline`, future, chromedp.ByID),
		chromedp.SetValue(`#ddept`, "tai-nguyen-moi-truong", chromedp.ByID),
		chromedp.Submit(`#dnote`, chromedp.ByID),
		chromedp.WaitVisible(`#action-done`, chromedp.ByID),
		chromedp.Text(`#action-done p`, &doneText, chromedp.ByQuery),
		chromedp.Navigate(d.URL+"/directives"),
		chromedp.WaitVisible(`#directive-list`, chromedp.ByID),
		chromedp.Text(`#directive-list`, &dirs, chromedp.ByID),
	)
	screenshot(t, ctx, "leader-directives")
	if err != nil {
		t.Fatal(err)
	}
	if doneText != "Đã giao chỉ đạo." || d.id(t, `SELECT count(*) FROM directives`) != before+1 {
		t.Fatalf("directive: %q", doneText)
	}
	if !strings.Contains(dirs, "Trần Văn Lãnh Đạo: Sửa đèn trong tuần") || !strings.Contains(dirs, "Sở Tài nguyên và Môi trường") || !strings.Contains(dirs, "Đang thực hiện") ||
		strings.Contains(dirs, "tai-nguyen-moi-truong") {
		t.Fatalf("directives list: %q", dirs)
	}

	var topics, heading string
	err = chromedp.Run(ctx,
		chromedp.Navigate(d.URL+"/dashboard?lang=en"),
		chromedp.WaitVisible(`#chart-topics`, chromedp.ByID),
		chromedp.Text(`#chart-topics`, &topics, chromedp.ByID),
		chromedp.Text(`main h1`, &heading, chromedp.ByQuery),
	)
	screenshot(t, ctx, "leader-dashboard-en")
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Citizen feedback overview" || !strings.Contains(topics, "Land") || strings.Contains(topics, "Đất đai") {
		t.Fatalf("English dashboard: %q / %q", heading, topics)
	}
}
