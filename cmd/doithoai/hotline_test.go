package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"

	"github.com/doithoai/doithoai/internal/localserver"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// TestServeAnswersSIP: `serve` runs the hotline beside HTTP; a SIP client
// probing with OPTIONS (as load balancers do) gets 200 on UDP and TCP.
func TestServeAnswersSIP(t *testing.T) {
	t.Parallel()
	port, err := localserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	MustStartNode(t, "", withEnvFunc(func(env map[string]string) {
		env["DISABLE_SIP"] = "false"
		env["SIP_ADDR"] = addr
		env["RTP_PORT_MIN"], env["RTP_PORT_MAX"] = "0", "0"
	}))
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("doithoai-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for _, transport := range []string{"udp", "tcp"} {
		var res *sip.Response
		deadline := time.Now().Add(10 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			req := sip.NewRequest(sip.OPTIONS, sip.Uri{User: "1022", Host: "127.0.0.1", Port: port, UriParams: sip.HeaderParams{{K: "transport", V: transport}}})
			res, err = client.Do(ctx, req)
			cancel()
			if err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond) // the SIP listener may still be starting
		}
		if err != nil {
			t.Fatalf("%s OPTIONS: %v", transport, err)
		}
		if res.StatusCode != 200 {
			t.Fatalf("%s OPTIONS: %d %s", transport, res.StatusCode, res.Reason)
		}
	}
}

// TestHotlineDesk: a voicemail ticket answered in the console becomes a
// callback on the moderators' hotline desk, which they mark done.
func TestHotlineDesk(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	ctx := context.Background()
	pool, err := db.Open(ctx, n.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := callcenter.NewStore(pool, moderation.NewService(pool, time.Minute, testenv.Logger(t)))
	ticket, err := store.CreateTicket(ctx, callcenter.NewTicket{CallID: "desk-1", Caller: "0988777666", Hotline: "1022", Language: "vi",
		Topic: "land", RecordingPath: "recordings/x.wav", Duration: 4 * time.Second, Consent: "dtmf:1", ConsentAt: time.Now(),
		IVRPath: []string{"greeting", "lang:1:vi"}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	m := newClient(t, n)
	m.MustLogin("mod1", "mod1-password")
	var list struct{ Items []item }
	m.MustDo("GET", "/api/v1/moderation/items?source=hotline_ticket", nil, &list)
	if len(list.Items) != 1 {
		t.Fatalf("hotline items: %+v", list)
	}
	path := fmt.Sprintf("/api/v1/moderation/items/%d/", list.Items[0].ID)
	m.MustDo("POST", path+"claim", nil, nil)
	answer := "Xã sẽ cử cán bộ địa chính xuống đo đạc."
	if r := m.Do("POST", path+"answer", map[string]string{"body": answer}, nil); r.StatusCode != 200 {
		t.Fatalf("answer: %d", r.StatusCode)
	}
	r := m.Do("GET", "/hotline", nil, nil)
	page, _ := io.ReadAll(r.Body)
	for _, want := range []string{ticket.Number, "0988777666", answer} {
		if r.StatusCode != 200 || !strings.Contains(string(page), want) {
			t.Fatalf("desk (%d) lacks %q", r.StatusCode, want)
		}
	}
	var cbs struct{ Callbacks []struct{ ID int64 } }
	m.MustDo("GET", "/api/v1/hotline/callbacks?status=open", nil, &cbs)
	if len(cbs.Callbacks) != 1 {
		t.Fatalf("open callbacks %+v", cbs)
	}
	form := url.Values{"note": {"Đã gọi, người dân đồng ý."}, "csrf_token": {m.csrf()}}
	req, _ := http.NewRequest("POST", n.URL+fmt.Sprintf("/hotline/callbacks/%d/done", cbs.Callbacks[0].ID), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := m.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 303 {
		t.Fatalf("mark done: %d", resp.StatusCode)
	}
	m.MustDo("GET", "/api/v1/hotline/callbacks?status=open", nil, &cbs)
	if len(cbs.Callbacks) != 0 {
		t.Fatalf("callback still open: %+v", cbs)
	}
	// Leaders may look at the desk but see no numbers.
	MustCreateUser(t, n, "leader", "leader-desk", "leader-password")
	l := newClient(t, n)
	l.MustLogin("leader-desk", "leader-password")
	r = l.Do("GET", "/hotline", nil, nil)
	page, _ = io.ReadAll(r.Body)
	if r.StatusCode != 200 || strings.Contains(string(page), "0988777666") {
		t.Fatalf("leader's desk: %d, number shown: %v", r.StatusCode, strings.Contains(string(page), "0988777666"))
	}
	wantError(t, newClient(t, n).Do("GET", "/api/v1/hotline/callbacks", nil, nil), 401, "login_required")
}

// TestHotlineDeskOperatorCall: on the real app, the desk lists a call an
// operator answered with a summary form; the form needs the CSRF token,
// and a summary saved after the call becomes the item's content with an
// audit entry by the moderator. A caller who hung up in the queue is a
// callback on the desk. Leaders see neither number nor form.
func TestHotlineDeskOperatorCall(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	ctx := context.Background()
	pool, err := db.Open(ctx, n.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := callcenter.NewStore(pool, moderation.NewService(pool, time.Minute, testenv.Logger(t)))
	const number, callID = "0933444555", "op-call-1"
	if _, err := store.CreateTicket(ctx, callcenter.NewTicket{CallID: callID, Agent: "mod1", Caller: number, Hotline: "1022", Language: "vi",
		Topic: "land", Duration: 40 * time.Second, IVRPath: []string{"greeting", "lang:1:vi", "topic:1:land"}, ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateAbandonedCallback(ctx, callcenter.AbandonedCall{CallID: "gone-1", Caller: "0944000111", Language: "vi", Topic: "other",
		At: time.Now(), Due: time.Now()}); err != nil {
		t.Fatal(err)
	}
	m := newClient(t, n)
	m.MustLogin("mod1", "mod1-password")
	r := m.Do("GET", "/hotline", nil, nil)
	page, _ := io.ReadAll(r.Body)
	for _, want := range []string{number, `value="` + callID + `"`, "0944000111", "kind-abandoned"} {
		if r.StatusCode != 200 || !strings.Contains(string(page), want) {
			t.Fatalf("desk (%d) lacks %q", r.StatusCode, want)
		}
	}
	post := func(form url.Values) int {
		req, _ := http.NewRequest("POST", n.URL+"/hotline/call-notes", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := m.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	const summary = "Bà hỏi thủ tục tách thửa; đã hướng dẫn nộp hồ sơ tại xã."
	if code := post(url.Values{"call_id": {callID}, "summary": {summary}}); code != 403 {
		t.Errorf("summary without CSRF token: %d, want 403", code)
	}
	if code := post(url.Values{"call_id": {callID}, "summary": {summary}, "csrf_token": {m.csrf()}}); code != 303 {
		t.Fatalf("summary: %d, want 303", code)
	}
	var list struct{ Items []item }
	m.MustDo("GET", "/api/v1/moderation/items?source=hotline_ticket", nil, &list)
	if len(list.Items) != 1 || !strings.Contains(list.Items[0].Content, summary) {
		t.Fatalf("hotline items after the summary: %+v", list.Items)
	}
	var full item
	m.MustDo("GET", fmt.Sprintf("/api/v1/moderation/items/%d", list.Items[0].ID), nil, &full)
	if h := full.History; len(h) < 2 || h[len(h)-1].Action != moderation.ActionAmend || h[len(h)-1].Actor != "mod1" {
		t.Errorf("history: %+v", full.History)
	}

	MustCreateUser(t, n, "leader", "leader-opcall", "leader-password")
	l := newClient(t, n)
	l.MustLogin("leader-opcall", "leader-password")
	r = l.Do("GET", "/hotline", nil, nil)
	page, _ = io.ReadAll(r.Body)
	if r.StatusCode != 200 || strings.Contains(string(page), number) || strings.Contains(string(page), "0944000111") || strings.Contains(string(page), `name="summary"`) {
		t.Errorf("leader's desk (%d) shows a number or the summary form", r.StatusCode)
	}
}
