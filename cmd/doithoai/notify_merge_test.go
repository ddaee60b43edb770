package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/testenv"
)

// TestMergedAskersToldOfTheAnswer: the asker of a duplicate merged into
// another question is told by SMS, under their own code, when that
// question is answered; one merged after the answer is told at once. Each
// hears of the answer exactly once.
func TestMergedAskersToldOfTheAnswer(t *testing.T) {
	t.Parallel()
	k := testenv.Kannel(t)
	n := MustStartNode(t, "", withEnvFunc(func(env map[string]string) {
		env["SMS_GATEWAY_URL"], env["SMS_SENDER"] = k.SendURL(), "1022"
	}))
	MustRun(t, n.DBURL, "", "seed")
	MustCreateUser(t, n, "moderator", "mod1", "mod1-password")
	m := newClient(t, n)
	m.MustLogin("mod1", "mod1-password")

	first := askWithContact(t, newClient(t, n), map[string]any{"phone": "0912 111 222", "consent": true})
	dup := askWithContact(t, newClient(t, n), map[string]any{"phone": "0913 333 444", "consent": true})
	late := askWithContact(t, newClient(t, n), map[string]any{"phone": "0914 555 666", "consent": true})
	itemOf := func(questionID int64) int64 {
		var list struct{ Items []item }
		m.MustDo("GET", "/api/v1/moderation/items?source=forum_question", nil, &list)
		for _, it := range list.Items {
			if it.Ref == fmt.Sprint(questionID) {
				return it.ID
			}
		}
		t.Fatalf("question %d not in the queue", questionID)
		return 0
	}
	target := itemOf(first.ID)

	mustModerate(t, m, dup.ID, map[string]any{"action": "merge", "into": target})
	const answer = "Có. Hộ nghèo được hỗ trợ 40 triệu đồng để làm nhà."
	mustModerate(t, m, first.ID, map[string]any{"action": "answer", "body": answer})
	mustModerate(t, m, late.ID, map[string]any{"action": "merge", "into": target})

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	sms, err := k.WaitMessages(ctx, 6) // three "received", three "answered"
	if err != nil {
		t.Fatal(err)
	}
	answered := map[string][]string{}
	for _, s := range sms {
		if strings.Contains(s.Text, "đã được trả lời") {
			answered[s.To] = append(answered[s.To], s.Text)
		}
	}
	for _, c := range []struct{ to, code string }{
		{"+84912111222", first.TrackingCode}, {"+84913333444", dup.TrackingCode}, {"+84914555666", late.TrackingCode},
	} {
		got := answered[c.to]
		if len(got) != 1 {
			t.Errorf("%s told of the answer %d times, want once: %q", c.to, len(got), got)
			continue
		}
		if !strings.Contains(got[0], "Mã tra cứu: "+c.code) || !strings.Contains(got[0], "Hộ nghèo được hỗ trợ") {
			t.Errorf("answered SMS to %s = %q: want its own code %s and the answer", c.to, got[0], c.code)
		}
	}
	// The merged codes show the answer they were told of.
	for _, code := range []string{dup.TrackingCode, late.TrackingCode} {
		var tr struct{ Answer string }
		if r := newClient(t, n).Do("GET", "/api/v1/track/"+code, nil, &tr); r.StatusCode != 200 || tr.Answer != answer {
			t.Errorf("track %s: %d %q", code, r.StatusCode, tr.Answer)
		}
	}
}
