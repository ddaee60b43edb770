package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/testenv"
)

// TestSMSReplyThroughKannel: a citizen asked for more information answers
// by SMS. Kannel's fake SMSC injects the mobile-originated message,
// bearerbox and smsbox deliver it to the node's /api/v1/sms/inbound
// (sms-service get-url with SMS_INBOUND_TOKEN), and the item returns to
// the queue with the reply and its assignee. A text from a number with
// nothing waiting, or naming another's code, changes nothing; nothing is
// ever sent back; a wrong token is refused.
func TestSMSReplyThroughKannel(t *testing.T) {
	t.Parallel()
	const token = "sms-inbound-test-token"
	logs := &strings.Builder{}
	var logMu = make(chan struct{}, 1)
	logMu <- struct{}{}
	n := MustStartNode(t, "", withEnv("SMS_INBOUND_TOKEN", token), withLog(lockedWriter{logs, logMu}, slog.LevelInfo))
	MustRun(t, n.DBURL, "", "seed")
	MustCreateUser(t, n, "moderator", "mod1", "mod1-password")
	k := testenv.KannelInbound(t, n.URL+"/api/v1/sms/inbound?token="+token+"&from=%p&text=%a")
	mod := newClient(t, n)
	mod.MustLogin("mod1", "mod1-password")
	d := newFeedbackDB(t, n.DBURL)

	lan := askWithContact(t, newClient(t, n), map[string]any{"phone": "0912 345 678", "consent": true})
	minh := askWithContact(t, newClient(t, n), map[string]any{"phone": "0987 654 321", "consent": true})
	lanItem, minhItem := itemOfCode(t, d, lan.TrackingCode), itemOfCode(t, d, minh.TrackingCode)
	for _, id := range []int64{lanItem, minhItem} {
		act(t, mod, id, "claim", nil)
		act(t, mod, id, "request-info", map[string]any{"message": "Xin cho biết thôn, xã."})
	}
	outcomes := func(want string) int { // the node logs each text's fate
		<-logMu
		defer func() { logMu <- struct{}{} }()
		return strings.Count(logs.String(), "outcome="+want)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	status := func(id int64) string {
		var it caseItem
		if r := mod.Do("GET", fmt.Sprintf("/api/v1/moderation/items/%d", id), nil, &it); r.StatusCode != 200 {
			t.Fatalf("item: %d", r.StatusCode)
		}
		return it.Status
	}

	// A stranger, and another number naming Minh's code: ignored, nothing changes.
	if err := k.InjectMO("+84911000111", "1022", "Thon Na Ca"); err != nil {
		t.Fatal(err)
	}
	waitFor("the stranger's SMS", func() bool { return outcomes("ignored") >= 1 })
	if err := k.InjectMO("+84987000999", "1022", minh.TrackingCode+" Thon Na Ca"); err != nil {
		t.Fatal(err)
	}
	waitFor("the SMS naming another's code", func() bool { return outcomes("ignored") >= 2 })
	if status(lanItem) != "info_requested" || status(minhItem) != "info_requested" {
		t.Fatalf("ignored SMS changed an item: %s %s", status(lanItem), status(minhItem))
	}

	// Lan answers from her phone (written the national way by the carrier).
	if err := k.InjectMO("0912345678", "1022", "Thon Na Ca, xa Tung Ba"); err != nil {
		t.Fatal(err)
	}
	waitFor("Lan's reply", func() bool { return outcomes("replied") >= 1 })
	var it caseItem
	mod.Do("GET", fmt.Sprintf("/api/v1/moderation/items/%d", lanItem), nil, &it)
	if it.Status == "info_requested" || it.Assignee == nil || *it.Assignee != "mod1" || !strings.HasSuffix(it.Content, "Thon Na Ca, xa Tung Ba") {
		t.Fatalf("Lan's item after her SMS: status %s assignee %v content %q", it.Status, it.Assignee, it.Content)
	}
	if last := it.History[len(it.History)-1]; last.Action != "citizen_reply" || last.Note != "Thon Na Ca, xa Tung Ba" {
		t.Fatalf("history: %+v", it.History)
	}
	// Minh answers naming his code.
	if err := k.InjectMO("+84987654321", "1022", strings.ToLower(minh.TrackingCode)+" Ban Pa Vi"); err != nil {
		t.Fatal(err)
	}
	waitFor("Minh's reply", func() bool { return outcomes("replied") >= 2 })
	if got := d.Count(`SELECT count(*) FROM moderation_items WHERE id = $1 AND status <> 'info_requested' AND content LIKE '%' || E'\n' || 'Ban Pa Vi'`, minhItem); got != 1 {
		t.Fatal("Minh's coded SMS did not reach his item")
	}

	// Nothing went back to any sender (no SMS gateway for the node, and
	// smsbox's service answers nothing).
	if msgs := k.Messages(); len(msgs) != 0 {
		t.Fatalf("the fake SMSC received %+v: want no reply SMS", msgs)
	}
	// A wrong token is refused, and changes nothing.
	q := url.Values{"token": {"wrong-token-wrong-token"}, "from": {"+84912345678"}, "text": {"x"}}
	wantError(t, newClient(t, n).Do("GET", "/api/v1/sms/inbound?"+q.Encode(), nil, nil), 403, "forbidden")
}

// lockedWriter serialises writes to a builder shared with the test.
type lockedWriter struct {
	b  *strings.Builder
	mu chan struct{}
}

func (w lockedWriter) Write(p []byte) (int, error) {
	<-w.mu
	defer func() { w.mu <- struct{}{} }()
	return w.b.Write(p)
}
