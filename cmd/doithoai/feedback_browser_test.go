package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
)

// fbLogin logs in through the form and waits until the login page is gone.
func fbLogin(ctx context.Context, base, login, password string) error {
	if err := browserLogin(ctx, base, login, password); err != nil {
		return err
	}
	return chromedp.Run(ctx, chromedp.WaitNotPresent(`#password`, chromedp.ByID))
}

// TestFeedbackDashboardBrowser: a leader on a phone reads the dashboard
// (figures, server-drawn charts, no sideways scrolling), signs off an
// escalated item and opens the printable view; a moderator marks the
// leader's directive done.
func TestFeedbackDashboardBrowser(t *testing.T) {
	t.Parallel()
	n := mustSeededFeedbackNode(t, "")
	d := newFeedbackDB(t, n.DBURL)
	cs := staffClients(t, n, d)
	MustCreateUser(t, n, "leader", "ld-browser", "ld-browser-password")
	MustCreateUser(t, n, "moderator", "mod-browser", "mod-browser-password")
	past := time.Now().Add(-2 * time.Hour)
	escalated := d.MustAsk(cs["anonymous"], "Cầu treo bản Nà Hẩu xuống cấp", "giao-thong-ha-tang", "Yên Bái", "vi")
	d.MustAsk(cs["anonymous"], "Cấp sổ đỏ cho đất nương rẫy", "dat-dai", "Lào Cai", "hmn")
	d.MustAsk(cs["anonymous"], "Học bổng cho học sinh bán trú", "y-te-giao-duc", "Lào Cai", "vi")
	for i := 0; i < 4; i++ {
		d.MustEnqueue(moderation.NewItem{Source: moderation.SourceHotlineTicket, Category: "chinh-sach-xa-hoi", Province: "Hà Giang", Language: "hmn", DueAt: &past})
	}
	d.MustEnqueue(moderation.NewItem{Source: moderation.SourceChatConversation, Province: "Sơn La", Language: "th"})
	base := fmt.Sprintf("/api/v1/moderation/items/%d/", escalated)
	cs["moderator"].Do("POST", base+"claim", nil, nil)
	if r := cs["moderator"].Do("POST", base+"escalate", map[string]string{"note": "Nguy hiểm cho học sinh"}, nil); r.StatusCode != 200 {
		t.Fatalf("escalate %d", r.StatusCode)
	}
	if r := cs["leader"].Do("POST", base+"directive", map[string]any{"note": "Sở GTVT kiểm tra ngay", "department": "tai-nguyen-moi-truong"}, nil); r.StatusCode != 200 {
		t.Fatalf("directive %d", r.StatusCode)
	}
	directiveID := d.Count(`SELECT id FROM directives WHERE item_id = $1`, escalated)

	leader := testenv.Browser(t)
	if err := fbLogin(leader, n.URL, "ld-browser", "ld-browser-password"); err != nil {
		t.Fatal(err)
	}
	var total, provinces, overdueNow string
	var rects int
	var fits bool
	err := chromedp.Run(leader,
		chromedp.Navigate(n.URL+"/dashboard"),
		chromedp.WaitVisible(`#kpi-total`, chromedp.ByID),
		chromedp.Text(`#kpi-total b`, &total, chromedp.ByQuery),
		chromedp.Text(`#kpi-overdue-now b`, &overdueNow, chromedp.ByQuery),
		chromedp.Text(`#chart-province`, &provinces, chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll('#chart-trend svg rect').length`, &rects),
		chromedp.Evaluate(`document.documentElement.scrollWidth <= window.innerWidth`, &fits),
	)
	screenshot(t, leader, "feedback-dashboard")
	if err != nil {
		t.Fatal(err)
	}
	if total != "8" || overdueNow != "4" {
		t.Fatalf("dashboard shows %s items, %s overdue now; want 8 and 4", total, overdueNow)
	}
	if !strings.Contains(provinces, "Hà Giang\n4") || !strings.Contains(provinces, "Lào Cai\n2") || !strings.Contains(provinces, "Yên Bái\n1") {
		t.Fatalf("province chart: %q", provinces)
	}
	if rects == 0 {
		t.Fatal("the trend chart has no bars")
	}
	if !fits {
		t.Fatal("the dashboard scrolls sideways on a phone")
	}

	var flash, inboxAfter string
	err = chromedp.Run(leader,
		chromedp.Navigate(n.URL+"/dashboard/escalated"),
		chromedp.WaitVisible(fmt.Sprintf(`#sign-off-%d`, escalated), chromedp.ByID),
		chromedp.SendKeys(fmt.Sprintf(`#note-%d`, escalated), "Đồng ý, theo dõi tiếp", chromedp.ByID),
		chromedp.Click(fmt.Sprintf(`#sign-off-%d`, escalated), chromedp.ByID),
		chromedp.WaitVisible(`.flash`, chromedp.ByQuery),
		chromedp.Text(`.flash`, &flash, chromedp.ByQuery),
		chromedp.Text(`main`, &inboxAfter, chromedp.ByQuery),
	)
	screenshot(t, leader, "feedback-inbox")
	if err != nil {
		t.Fatal(err)
	}
	if flash != "Đã ký duyệt." || !strings.Contains(inboxAfter, "Không có ý kiến nào chờ lãnh đạo.") {
		t.Fatalf("after sign-off: %q / %q", flash, inboxAfter)
	}
	if got := d.Count(`SELECT count(*) FROM moderation_audit WHERE item_id = $1 AND action = 'sign_off' AND note = 'Đồng ý, theo dõi tiếp'`, escalated); got != 1 {
		t.Fatalf("%d sign_off audit entries", got)
	}

	var topDisplay string
	var printTotal string
	err = chromedp.Run(leader,
		chromedp.Navigate(n.URL+"/dashboard/print"),
		chromedp.WaitVisible(`#kpi-total`, chromedp.ByID),
		chromedp.Text(`#kpi-total b`, &printTotal, chromedp.ByQuery),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('header.top')).display`, &topDisplay),
	)
	screenshot(t, leader, "feedback-print")
	if err != nil {
		t.Fatal(err)
	}
	if topDisplay != "none" || printTotal != "8" {
		t.Fatalf("print view: header display %q, total %q", topDisplay, printTotal)
	}

	mod := testenv.Browser(t)
	if err := fbLogin(mod, n.URL, "mod-browser", "mod-browser-password"); err != nil {
		t.Fatal(err)
	}
	var doneFlash string
	err = chromedp.Run(mod,
		chromedp.Navigate(n.URL+"/directives"),
		chromedp.WaitVisible(fmt.Sprintf(`#done-%d`, directiveID), chromedp.ByID),
		chromedp.SendKeys(fmt.Sprintf(`#done-note-%d`, directiveID), "Đã cử cán bộ kiểm tra", chromedp.ByID),
		chromedp.Click(fmt.Sprintf(`#done-%d`, directiveID), chromedp.ByID),
		chromedp.WaitVisible(`.flash`, chromedp.ByQuery),
		chromedp.Text(`.flash`, &doneFlash, chromedp.ByQuery),
	)
	screenshot(t, mod, "feedback-directives")
	if err != nil {
		t.Fatal(err)
	}
	if doneFlash != "Đã ghi nhận chỉ đạo hoàn thành." || d.Count(`SELECT count(*) FROM directives WHERE id = $1 AND status = 'done' AND done_note = 'Đã cử cán bộ kiểm tra'`, directiveID) != 1 {
		t.Fatalf("directive not done: %q", doneFlash)
	}
}
