package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserAdminJourney walks an admin's set-up in Chromium, under the
// strict CSP: create a moderator who is a SIP agent and see the secret
// once, add a category, a department and a canned answer, insert that
// answer at the cursor in the console, declare a holiday and change the
// hotline's hours — then find each action in the audit log.
func TestBrowserAdminJourney(t *testing.T) {
	t.Parallel()
	n, _, d := adminNode(t)
	mustAsk(t, newClient(t, n), "Xin hỗ trợ làm lại căn cước", "Tôi bị mất căn cước, làm lại ở đâu?", "dat-dai")
	ctx := cspBrowser(t)
	if err := browserLogin(ctx, n.URL, "quantri", "quantri-password"); err != nil {
		t.Fatal(err)
	}
	step := func(name string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			screenshot(t, ctx, "admin-"+name)
			t.Fatalf("%s: %v", name, err)
		}
	}

	// The nav leads to the admin pages.
	step("landing", chromedp.WaitVisible(`#nav-admin`, chromedp.ByID), chromedp.Click(`#nav-admin`, chromedp.ByID),
		chromedp.WaitVisible(`a[href="/admin/users"]`, chromedp.ByQuery), chromedp.Click(`a[href="/admin/users"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#user-new`, chromedp.ByID))
	wantNoCSPViolation(t, ctx, "/admin/users", "#user-new")

	// A moderator and SIP agent: the secret is on the next page, once.
	var secret string
	step("user",
		chromedp.SendKeys(`#new-login`, "tongdai2", chromedp.ByID),
		chromedp.SendKeys(`#new-name`, "Anh Vàng A Dua", chromedp.ByID),
		chromedp.SetValue(`#new-role`, "moderator", chromedp.ByID),
		chromedp.SendKeys(`#new-password`, "tongdai2-password", chromedp.ByID),
		chromedp.Click(`#new-sip`, chromedp.ByID),
		chromedp.Click(`#user-create`, chromedp.ByID),
		chromedp.WaitVisible(`#sip-secret`, chromedp.ByID),
		chromedp.Text(`#sip-secret`, &secret, chromedp.ByID))
	screenshot(t, ctx, "admin-user-secret")
	if len(secret) != 20 {
		t.Fatalf("SIP secret %q", secret)
	}
	var again int
	step("user-reload", chromedp.Reload(), chromedp.WaitVisible(`#user-sip`, chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll('#sip-secret').length + (document.body.innerText.indexOf(`+jsString(secret)+`) >= 0 ? 1 : 0)`, &again))
	if again != 0 {
		t.Fatal("the SIP secret is shown again after a reload")
	}

	// A category, a department, a canned answer.
	step("category", chromedp.Navigate(n.URL+"/admin/categories"), chromedp.WaitVisible(`#category-new`, chromedp.ByID),
		chromedp.SendKeys(`#cat-name`, "Giấy tờ tuỳ thân", chromedp.ByID),
		chromedp.SendKeys(`#cat-name-en`, "Identity papers", chromedp.ByID),
		chromedp.SetValue(`#cat-mod`, "post", chromedp.ByID),
		chromedp.Click(`#category-create`, chromedp.ByID),
		chromedp.WaitVisible(`#flash`, chromedp.ByID), chromedp.WaitVisible(`#category-giay-to-tuy-than`, chromedp.ByID))
	step("department", chromedp.Navigate(n.URL+"/admin/departments"), chromedp.WaitVisible(`#department-new`, chromedp.ByID),
		chromedp.SendKeys(`#dept-slug`, "cong-an-xa", chromedp.ByID),
		chromedp.SendKeys(`#dept-name`, "Công an xã", chromedp.ByID),
		chromedp.Click(`#dept-create`, chromedp.ByID),
		chromedp.WaitVisible(`#dept-cong-an-xa`, chromedp.ByID))
	canned := "Ông/bà mang giấy khai sinh tới công an xã. "
	step("canned", chromedp.Navigate(n.URL+"/admin/canned"), chromedp.WaitVisible(`#canned-new`, chromedp.ByID),
		chromedp.SendKeys(`#canned-title`, "Làm lại căn cước", chromedp.ByID),
		chromedp.SendKeys(`#canned-body`, canned, chromedp.ByID),
		chromedp.Click(`#canned-create`, chromedp.ByID),
		chromedp.WaitVisible(`#flash`, chromedp.ByID))

	// In the console the canned answer goes where the cursor is, between
	// the greeting and the closing the moderator already wrote.
	greeting, closing := "Kính gửi ông/bà. ", "Trân trọng."
	var body, picked string
	step("console", chromedp.Navigate(n.URL+"/console"), chromedp.WaitVisible(`#claim-next`, chromedp.ByID),
		chromedp.Click(`#claim-next`, chromedp.ByID), chromedp.WaitVisible(`#canned`, chromedp.ByID),
		chromedp.SendKeys(`#body`, greeting+closing, chromedp.ByID),
		chromedp.Evaluate(`(function () { var b = document.getElementById('body'); b.focus(); b.setSelectionRange(`+strconv.Itoa(len([]rune(greeting)))+`, `+strconv.Itoa(len([]rune(greeting)))+`); })()`, nil),
		// Pick the answer by its title, as a moderator does.
		chromedp.Evaluate(`(function () {
			var s = document.getElementById('canned');
			for (var i = 0; i < s.options.length; i++) if (s.options[i].text.indexOf('căn cước') >= 0) s.selectedIndex = i;
			var v = s.value;
			s.dispatchEvent(new Event('change'));
			return v;
		})()`, &picked),
		chromedp.Value(`#body`, &body, chromedp.ByID))
	screenshot(t, ctx, "admin-console-canned")
	if picked == "" || !strings.Contains(picked, "khai sinh") {
		t.Fatalf("no canned answer titled after the one added: %q", picked)
	}
	if want := greeting + picked + closing; body != want {
		t.Fatalf("answer box %q, want %q (inserted at the cursor)", body, want)
	}

	// A holiday, and the hotline open around the clock.
	step("holiday", chromedp.Navigate(n.URL+"/admin/holidays"), chromedp.WaitVisible(`#holiday-new`, chromedp.ByID),
		chromedp.SetValue(`#holiday-day`, "2026-12-24", chromedp.ByID),
		chromedp.SendKeys(`#holiday-name`, "Nghỉ bù", chromedp.ByID),
		chromedp.Click(`#holiday-create`, chromedp.ByID),
		chromedp.WaitVisible(`#holiday-2026-12-24`, chromedp.ByID))
	step("hours", chromedp.Navigate(n.URL+"/admin/hotline/hours"), chromedp.WaitVisible(`#hours-form`, chromedp.ByID),
		chromedp.SetValue(`#hours`, "always", chromedp.ByID),
		chromedp.Click(`#hours-save`, chromedp.ByID),
		chromedp.WaitVisible(`#flash`, chromedp.ByID),
		waitTextIn(`#open-now`, "đang trong giờ làm việc", 5*time.Second))

	// Every step is in the audit log, by this admin.
	var actions []string
	step("audit", chromedp.Navigate(n.URL+"/admin/audit"), chromedp.WaitVisible(`.audit-row`, chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('.audit-action')).map(function (e) { return e.textContent; })`, &actions))
	screenshot(t, ctx, "admin-audit")
	got := strings.Join(actions, " ")
	for _, a := range []string{"user.create", "category.create", "department.create", "canned.create", "holiday.create", "setting.update"} {
		if !strings.Contains(got, a) {
			t.Errorf("audit log lacks %s: %v", a, actions)
		}
	}
	if d.Count(`SELECT count(*) FROM admin_audit WHERE actor_login = 'quantri'`) != 6 {
		t.Errorf("admin audit entries by quantri: %d, want 6", d.Count(`SELECT count(*) FROM admin_audit WHERE actor_login = 'quantri'`))
	}
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
