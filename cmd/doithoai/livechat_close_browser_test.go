package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/doithoai/doithoai/internal/testenv"
)

// A citizen on a phone starts a chat with a phone number and notification
// chosen; lines arriving live show their time; the operator ends the chat:
// the citizen's page names who closed it, shows the chat's tracking code
// and still asks for a rating, which reaches the queue item.
func TestLivechatBrowserOperatorCloses(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	MustCreateUser(t, n, "moderator", "mod1", "correct horse battery")
	mustOperatorOnline(t, n, "mod1", "correct horse battery")
	tr := livechatText(t)
	citizen := testenv.Browser(t)
	mod := newClient(t, n)
	mod.MustLogin("mod1", "correct horse battery")

	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		ctx, cancel := context.WithTimeout(citizen, 20*time.Second)
		defer cancel()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	waitText := func(sel, want string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			for {
				var got string
				if err := chromedp.Text(sel, &got, chromedp.ByQuery).Do(ctx); err == nil && strings.Contains(got, want) {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("%s never showed %q: %w", sel, want, ctx.Err())
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	}

	var convID string
	var ok bool
	run("open a chat with a phone",
		chromedp.Navigate(n.URL+"/chat"),
		chromedp.SendKeys("#topic", "Hỏi về trợ cấp", chromedp.ByID),
		chromedp.SendKeys("#phone", "0912 345 678", chromedp.ByID),
		chromedp.Click(`input[name="notify"]`, chromedp.ByQuery),
		chromedp.Click(`input[name="consent"]`, chromedp.ByQuery),
		chromedp.Click("#lc-start", chromedp.ByID),
		chromedp.WaitVisible("#lc-log", chromedp.ByID),
		chromedp.AttributeValue("#lc", "data-conv", &convID, &ok, chromedp.ByID))
	if !ok || convID == "" {
		t.Fatal("the chat page has no conversation")
	}
	var accepted struct{ Operator string }
	if r := mod.Do("POST", "/api/v1/conversations/"+convID+"/accept", nil, &accepted); r.StatusCode != 200 {
		t.Fatalf("accept: %d", r.StatusCode)
	}
	// The acceptance and the citizen's own line arrive over the socket.
	run("see the operator and send a line",
		waitText("#lc-log .msg.accepted", tr["chat.accepted"]),
		chromedp.SendKeys("#lc-body", "Mẹ tôi 80 tuổi.", chromedp.ByID),
		chromedp.Click(`#lc-form button[type="submit"]`, chromedp.ByQuery),
		waitText("#lc-log .msg.text", "Mẹ tôi 80 tuổi."))
	var times []string
	run("read the live lines' times", chromedp.Evaluate(`[...document.querySelectorAll('#lc-log .msg time')].map(e => e.textContent)`, &times))
	clock := regexp.MustCompile(`^\d\d:\d\d$`)
	if len(times) < 2 {
		t.Fatalf("live lines' times %q: want one per line", times)
	}
	for _, x := range times {
		if !clock.MatchString(x) {
			t.Fatalf("live lines' times %q: want HH:MM", times)
		}
	}

	if r := mod.Do("POST", "/api/v1/conversations/"+convID+"/close", map[string]any{}, nil); r.StatusCode != 200 {
		t.Fatalf("operator closes: %d", r.StatusCode)
	}
	var shown struct {
		Conversation struct {
			TrackingCode string `json:"tracking_code"`
		}
	}
	mod.Do("GET", "/api/v1/conversations/"+convID, nil, &shown)
	closedBy := strings.Replace(tr["chat.closed_by"], "%s", accepted.Operator, 1)
	run("see who closed it, the code, and rate",
		waitText("#lc-log .msg.closed", closedBy),
		waitText("#lc-code", shown.Conversation.TrackingCode),
		chromedp.WaitVisible("#lc-rate", chromedp.ByID),
		chromedp.SetValue("#lc-rate-value", "4", chromedp.ByID),
		chromedp.Click(`#lc-rate button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#lc-rated", chromedp.ByID),
		chromedp.WaitNotVisible("#lc-rate", chromedp.ByID))

	var items struct{ Items []chatItem }
	if r := mod.Do("GET", "/api/v1/moderation/items?source=chat_conversation", nil, &items); r.StatusCode != 200 || len(items.Items) != 1 {
		t.Fatalf("chat items: %+v", items.Items)
	}
	if it := items.Items[0]; it.Meta["rating"] != float64(4) || it.Status != "closed" || it.CitizenPhone != "+84912345678" || it.TrackingCode != shown.Conversation.TrackingCode {
		t.Fatalf("chat item %+v: want closed, rated 4, under +84912345678, with the code shown", it)
	}
}
