package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserStaffPagesAccessible signs in as each staff role of the living
// demo (moderator, leader, admin) on a desktop and runs axe on every page
// that role works in, in Vietnamese and in English: no serious or critical
// violation, the page really is the one asked for (not the sign-in form or
// an error page) and its lang attribute names the language shown.
func TestBrowserStaffPagesAccessible(t *testing.T) {
	t.Parallel()
	d := mustStartDemoNode(t)
	past := d.id(t, `SELECT id FROM live_sessions WHERE ended_at IS NOT NULL ORDER BY id LIMIT 1`)
	next := d.id(t, `SELECT id FROM live_sessions WHERE ended_at IS NULL ORDER BY id LIMIT 1`)
	// States a page only shows after a step: a live question waiting on
	// the desk, a chat waiting for an operator, an item held for answering.
	citizen := newClient(t, d.node)
	if r := citizen.Do("POST", fmt.Sprintf("/api/v1/live-sessions/%d/questions", next), map[string]any{
		"body": "Đền bù đất rẫy được tính theo giá nào?", "name": "Giàng A Pháo", "consent": true}, nil); r.StatusCode != 201 {
		t.Fatalf("live question: %d", r.StatusCode)
	}
	if r := citizen.Do("POST", "/api/v1/conversations", map[string]any{"name": "Lò Thị Mai", "topic": "Hỏi về hộ nghèo", "consent": true}, nil); r.StatusCode != 201 {
		t.Fatalf("chat: %d", r.StatusCode)
	}
	// An open item of each source: its page has the claim button.
	item := func(src string) string {
		return fmt.Sprintf("/console/items/%d", d.id(t, `SELECT id FROM moderation_items WHERE source = $1
			ORDER BY (status IN ('pending', 'approved', 'info_requested') AND assignee_id IS NULL) DESC, id LIMIT 1`, src))
	}
	forumItem := item("forum_question")
	user := d.id(t, `SELECT id FROM users WHERE login = 'modvien'`)
	// then is a script that opens a page's second state (false when the
	// page has none) and the selector that shows it is open.
	then := map[string][2]string{
		"modvien /chat/console": {`(b => b ? (b.click(), true) : false)(document.querySelector('#lc-waiting [data-accept], #lc-mine [data-open]'))`, `#lc-pane`},
		// Approved, the question is in the running order (and on the leader's page).
		fmt.Sprintf("modvien /giao-luu/%d/dieu-phoi", next): {`(b => b ? (b.click(), true) : false)(document.querySelector('#lc-pending [data-act=approve]'))`, `#lc-approved li`},
		// A new SIP agent's page shows its secret once.
		"admin /admin/users": {`(f => { f.querySelector('#new-login').value = 'axe-agent-' + document.documentElement.lang;
			f.querySelector('#new-password').value = 'correct horse battery'; f.querySelector('#new-sip').checked = true;
			f.requestSubmit(); return true })(document.getElementById('user-new'))`, `#sip-secret`},
		// A login already taken: the form comes back with its error.
		"admin /admin/users?q=mod": {`(f => { f.querySelector('#new-login').value = 'modvien';
			f.querySelector('#new-password').value = 'correct horse battery'; f.requestSubmit(); return true })(document.getElementById('user-new'))`, `#form-error`},
	}
	// An item someone else closed has no claim button and no answer form.
	claim := [2]string{`(b => b ? (b.click(), true) : !!document.getElementById('answer'))(document.getElementById('claim'))`, `#answer`}
	roles := []struct {
		login string
		pages []string
	}{
		{"modvien", []string{"/console", "/console?flash=empty", forumItem, forumItem + "?done=approve", item("hotline_ticket"),
			item("chat_conversation"), item("live_question"), "/chat/console", fmt.Sprintf("/giao-luu/%d/dieu-phoi", past),
			fmt.Sprintf("/giao-luu/%d/dieu-phoi", next), "/directives", "/directives?flash=done", "/hotline"}},
		{"lanhdao", []string{"/dashboard", "/dashboard/print", "/dashboard/escalated", "/dashboard/escalated?flash=signed", forumItem,
			fmt.Sprintf("/giao-luu/%d/tra-loi", past), fmt.Sprintf("/giao-luu/%d/tra-loi", next), "/directives"}},
		{"admin", []string{"/admin", "/admin/users", "/admin/users?q=mod", fmt.Sprintf("/admin/users/%d", user),
			"/admin/categories", "/admin/departments", "/admin/departments?done=saved", "/admin/canned", "/admin/hotline/topics", "/admin/hotline/hours",
			"/admin/hotline/languages", "/admin/hotline/prompts", "/admin/sla", "/admin/holidays", "/admin/retention",
			"/admin/audit", "/giao-luu/moi"}},
	}
	for _, p := range []string{forumItem, item("hotline_ticket"), item("chat_conversation"), item("live_question")} {
		then["modvien "+p] = claim
	}
	for _, r := range roles {
		t.Run(r.login, func(t *testing.T) {
			if d.passwords[r.login] == "" {
				t.Fatalf("no demo password for %s", r.login)
			}
			ctx, _ := staffBrowser(t, d, r.login)
			for _, lang := range []string{"vi", "en"} {
				for _, p := range r.pages {
					sep := "?"
					if strings.Contains(p, "?") {
						sep = "&"
					}
					var loc, htmlLang string
					var login, failed bool
					err := chromedp.Run(ctx, chromedp.Navigate(d.URL+p+sep+"lang="+lang),
						chromedp.WaitVisible(`main`, chromedp.ByQuery), chromedp.Location(&loc),
						chromedp.Evaluate(`document.documentElement.lang`, &htmlLang),
						chromedp.Evaluate(`!!document.getElementById('password') && location.pathname === '/login'`, &login),
						chromedp.Evaluate(`!!document.querySelector('main .card.error')`, &failed))
					if err != nil {
						t.Fatalf("%s %s: %v", lang, p, err)
					}
					if login || failed || !strings.Contains(loc, strings.SplitN(p, "?", 2)[0]) {
						t.Fatalf("%s %s: landed on %s", lang, p, loc)
					}
					if htmlLang != lang {
						t.Errorf("%s %s: <html lang=%q>", lang, p, htmlLang)
					}
					wantAccessible(t, ctx, r.login+" "+lang+" "+p)
					if step, ok := then[r.login+" "+p]; ok {
						var opened bool
						if err := chromedp.Run(ctx, chromedp.Evaluate(step[0], &opened)); err != nil {
							t.Fatalf("%s %s: %s: %v", lang, p, step[0], err)
						}
						if !opened {
							continue
						}
						if err := chromedp.Run(ctx, waitVisible(step[1])); err != nil {
							t.Fatalf("%s %s: %s never showed: %v", lang, p, step[1], err)
						}
						wantAccessible(t, ctx, r.login+" "+lang+" "+p+" (then "+step[1]+")")
					}
				}
			}
		})
	}
}

// waitVisible waits up to 20 s for the element sel to show.
func waitVisible(sel string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		return chromedp.WaitVisible(sel, chromedp.ByQuery).Do(ctx)
	})
}
