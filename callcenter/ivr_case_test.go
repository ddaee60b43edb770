package callcenter

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/blob"

	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/moderation"
	"github.com/doithoai/doithoai/moderation/notify"
	"github.com/jackc/pgx/v5/pgxpool"
)

// withOutbox wires the real notifications outbox (moderation/notify) into
// the test center's moderation service, as the node does.
func withOutbox(t *testing.T) func(*pgxpool.Pool, *moderation.Service) {
	return func(pool *pgxpool.Pool, mod *moderation.Service) {
		cat := i18n.New()
		if err := cat.Add(notify.Messages); err != nil {
			t.Fatal(err)
		}
		ob, err := notify.NewOutbox(pool, cat, "https://doithoai.example.vn", nil)
		if err != nil {
			t.Fatal(err)
		}
		mod.Outbox = ob
	}
}

type outboxRow struct{ Event, Channel, Recipient, Body string }

func (pc *pgCenter) outbox(t *testing.T, itemID int64) []outboxRow {
	t.Helper()
	rows, err := pc.pool.Query(context.Background(), `SELECT event, channel, recipient, body FROM notification_outbox WHERE item_id = $1 ORDER BY id`, itemID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.Event, &r.Channel, &r.Recipient, &r.Body); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// leaveVoicemail calls from number, picks Vietnamese and "other", agrees
// to the recording, answers the SMS question with key (0: no key) and
// leaves a short message; it returns the call's ticket and item.
func (pc *pgCenter) leaveVoicemail(t *testing.T, number string, key byte) (TicketRecord, moderation.Item) {
	t.Helper()
	p := newPhone(t, number)
	p.mustCall(pc.addr, "1022", "udp")
	p.press("13")
	pc.steps.wait(t, p, "queue:no_agents")
	p.press("1") // consent
	pc.steps.wait(t, p, "notify_ask")
	if key != 0 {
		p.press(string(key))
	}
	pc.steps.wait(t, p, "record")
	p.sendAudio(tone(440, 1, 8000))
	time.Sleep(700 * time.Millisecond) // the caller speaks: audio time, not synchronisation
	p.sendAudio(nil)
	p.press("#")
	if !p.waitHangup(15 * time.Second) {
		t.Fatal("no BYE after the ticket number")
	}
	return pc.operatorTicket(t, p.dlg.InviteRequest.CallID().Value())
}

// TestNotifyByKeyPress: a voicemail whose caller pressed 1 is a ticket
// whose item has the caller's E.164 number as contact with notify set,
// and exactly one "received" SMS row (with the code and due date) goes to
// that number; the moderator's answer then tells "answered" and
// "callback scheduled" once each. With 2 nothing is ever queued.
func TestNotifyByKeyPress(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t, withOutbox(t))
	ctx := context.Background()

	yesT, yes := pc.leaveVoicemail(t, "0912000222", '1')
	if yes.Contact != "+84912000222" || yes.Meta[moderation.MetaNotify] != true {
		t.Errorf("item of a caller who pressed 1: contact %q, notify %v", yes.Contact, yes.Meta[moderation.MetaNotify])
	}
	var stored bool
	if err := pc.pool.QueryRow(ctx, `SELECT notify FROM hotline_tickets WHERE id = $1`, yesT.ID).Scan(&stored); err != nil || !stored {
		t.Errorf("ticket notify = %v (%v), want true", stored, err)
	}
	rows := pc.outbox(t, yes.ID)
	if len(rows) != 1 || rows[0].Event != moderation.EventReceived || rows[0].Channel != notify.ChannelSMS ||
		rows[0].Recipient != "+84912000222" || !strings.Contains(rows[0].Body, yes.TrackingCode) ||
		!strings.Contains(rows[0].Body, yes.DueAt.In(i18n.Vietnam).Format("02/01/2006")) {
		t.Fatalf("outbox after a voicemail with 1: %+v", rows)
	}

	_, no := pc.leaveVoicemail(t, "0912000333", '2')
	if no.Meta[moderation.MetaNotify] != false {
		t.Errorf("item of a caller who pressed 2: notify %v", no.Meta[moderation.MetaNotify])
	}
	_, silent := pc.leaveVoicemail(t, "0912000444", 0)

	lan := pc.users["lan"]
	for _, it := range []moderation.Item{yes, no, silent} {
		if _, err := pc.mod.Act(ctx, lan, it.ID, moderation.ActionClaim, moderation.ActionInput{}); err != nil {
			t.Fatal(err)
		}
		if _, err := pc.mod.Act(ctx, lan, it.ID, moderation.ActionAnswer, moderation.ActionInput{Body: "Xã sẽ đo đạc lại vào thứ Hai."}); err != nil {
			t.Fatal(err)
		}
	}
	var events []string
	var cbBody string
	for _, r := range pc.outbox(t, yes.ID) {
		events = append(events, r.Event)
		if r.Event == moderation.EventCallbackScheduled {
			cbBody = r.Body
		}
	}
	slices.Sort(events)
	if want := []string{moderation.EventAnswered, moderation.EventCallbackScheduled, moderation.EventReceived}; !slices.Equal(events, want) {
		t.Errorf("outbox events of the notified ticket after the answer: %v, want %v", events, want)
	}
	var due time.Time
	if err := pc.pool.QueryRow(ctx, `SELECT due_at FROM hotline_callbacks WHERE ticket_id = $1`, yesT.ID).Scan(&due); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cbBody, due.In(i18n.Vietnam).Format("02/01/2006")) || !strings.Contains(cbBody, "gọi lại") {
		t.Errorf("callback SMS %q lacks the callback date %s", cbBody, due)
	}
	for _, it := range []moderation.Item{no, silent} {
		if rows := pc.outbox(t, it.ID); len(rows) != 0 {
			t.Errorf("caller who did not press 1 gets notifications: %+v", rows)
		}
	}
}

// typingTime gives a caller typing a tracking code 1.5 s between keys
// instead of the tests' 400 ms: the code ends at the first longer pause,
// and a loaded machine stalls a phone or the server for that long (a
// status look-up then failed with half a code).
func typingTime(c *Config) { c.DigitTimeout = 1500 * time.Millisecond }

// statusCall dials in, picks Vietnamese and types * code #.
func (pc *pgCenter) statusCall(t *testing.T, number, code string) *phone {
	t.Helper()
	p := newPhone(t, number)
	p.mustCall(pc.addr, "1022", "udp")
	p.press("1*" + code + "#")
	return p
}

// cdrPath waits for the CDR of p's call and returns its IVR path.
func (pc *pgCenter) cdrPath(t *testing.T, p *phone) []string {
	t.Helper()
	id := p.dlg.InviteRequest.CallID().Value()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var path []string
		err := pc.pool.QueryRow(context.Background(), `SELECT ivr_path FROM hotline_calls WHERE call_id = $1`, id).Scan(&path)
		if err == nil {
			return path
		}
		if time.Now().After(deadline) {
			t.Fatalf("no CDR for %s: %v", id, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStatusByPhone: * code # reads a pending ticket's status with its due
// date, and pressing 1 then leaves a message whose ticket continues the
// case; wrong codes are "not found" twice and the caller is back in the
// menu; once answered with a spoken answer uploaded in the console, the
// caller hears that recording (its tone arrives over RTP); answered
// without one, the callback. The CDR records each path.
func TestStatusByPhone(t *testing.T) {
	t.Parallel()
	pc := startPGCenterWith(t, typingTime)
	ctx := context.Background()
	first, err := pc.store.CreateTicket(ctx, NewTicket{CallID: "first-1", Caller: "+84912000555", Hotline: "1022", Language: "vi", Topic: "land",
		Category: "dat-dai", Duration: 3 * time.Second, Consent: "dtmf:1", ConsentAt: time.Now(), IVRPath: []string{"greeting"}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	firstItem, err := pc.mod.Store.FindItemByTrackingCode(ctx, first.Number)
	if err != nil {
		t.Fatal(err)
	}

	// Pending: status, due date, then a message about the case.
	p := pc.statusCall(t, "0912000555", first.Number)
	pc.steps.wait(t, p, "status:read")
	p.press("1")
	pc.steps.wait(t, p, "consent_ask")
	p.press("1")
	pc.steps.wait(t, p, "notify_ask")
	p.press("2")
	pc.steps.wait(t, p, "record")
	p.sendAudio(tone(440, 1, 8000))
	time.Sleep(700 * time.Millisecond) // the caller speaks
	p.press("#")
	if !p.waitHangup(15 * time.Second) {
		t.Fatal("no BYE after the message about the case")
	}
	path := pc.cdrPath(t, p)
	for _, step := range []string{"lang:1:vi", "status", "status:found", "status:read", "status:leave_message", "topic:case:land", "ticket"} {
		if !slices.Contains(path, step) {
			t.Errorf("CDR path %v lacks %q", path, step)
		}
	}
	_, msg := pc.operatorTicket(t, p.dlg.InviteRequest.CallID().Value())
	if msg.CaseID == nil || *msg.CaseID != firstItem.ID || msg.Category != "dat-dai" {
		t.Errorf("the message left after the status: case %v, category %q; want case %d", msg.CaseID, msg.Category, firstItem.ID)
	}
	if cs, err := pc.mod.Store.FindCase(ctx, firstItem); err != nil || len(cs) != 2 {
		t.Errorf("case of the first ticket: %d items (%v), want 2", len(cs), err)
	}

	// Wrong codes: one valid-looking unknown, one with a typo; then the menu.
	p = pc.statusCall(t, "0912000666", moderation.NewNumericCode())
	pc.steps.wait(t, p, "status:not_found")
	wrong := []byte(first.Number)
	wrong[3] = '0' + (wrong[3]-'0'+1)%10 // one mistyped digit: the check digit catches it
	p.press(string(wrong) + "#")
	pc.steps.wait(t, p, "status:bad_code")
	pc.steps.wait(t, p, "topic:timeout") // back in the main menu
	p.hangup()
	path = pc.cdrPath(t, p)
	if n := strings.Count(strings.Join(path, " "), "status:not_found"); n != 2 || slices.Contains(path, "status:found") {
		t.Errorf("CDR path of wrong codes %v: %d not_found, want 2 and no found", path, n)
	}

	// Answered with a spoken answer: the moderator's recording is played.
	lan := pc.users["lan"]
	answer := tone(1000, 1.5, 9000)
	if w := pc.do(t, "lan", "PUT", answerAudioURL(first.ID), EncodeWAV(answer)); w.Code != 200 {
		t.Fatalf("upload spoken answer: %d %s", w.Code, w.Body)
	}
	if _, err := pc.mod.Act(ctx, lan, firstItem.ID, moderation.ActionClaim, moderation.ActionInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.mod.Act(ctx, lan, firstItem.ID, moderation.ActionAnswer, moderation.ActionInput{Body: "Xã sẽ đo đạc lại."}); err != nil {
		t.Fatal(err)
	}
	p = pc.statusCall(t, "0912000555", first.Number)
	pc.steps.wait(t, p, "status:found")
	before := len(p.received())
	pc.steps.wait(t, p, "status:read")
	heard := p.received()[before:]
	p.hangup()
	if g := goertzel(heard, 1000); g < 0.3 || rms(heard) < 1000 {
		t.Errorf("status of an answered ticket: 1000 Hz share %.2f, rms %.0f; the spoken answer was not played", g, rms(heard))
	}
	if path := pc.cdrPath(t, p); !slices.Contains(path, "status:answer_audio") {
		t.Errorf("CDR path %v lacks status:answer_audio", path)
	}

	// Answered without a spoken answer: the callback is announced.
	second, err := pc.store.CreateTicket(ctx, NewTicket{CallID: "second-1", Caller: "+84912000777", Hotline: "1022", Language: "vi", Topic: "other",
		Duration: 3 * time.Second, Consent: "dtmf:1", ConsentAt: time.Now(), IVRPath: []string{"greeting"}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	secondItem, _ := pc.mod.Store.FindItemByTrackingCode(ctx, second.Number)
	pc.mod.Act(ctx, lan, secondItem.ID, moderation.ActionClaim, moderation.ActionInput{})
	if _, err := pc.mod.Act(ctx, lan, secondItem.ID, moderation.ActionAnswer, moderation.ActionInput{Body: "Sẽ gọi lại."}); err != nil {
		t.Fatal(err)
	}
	p = pc.statusCall(t, "0912000777", second.Number)
	pc.steps.wait(t, p, "status:read")
	p.hangup()
	if path := pc.cdrPath(t, p); !slices.Contains(path, "status:callback_pending") || slices.Contains(path, "status:answer_audio") {
		t.Errorf("CDR path %v: want status:callback_pending without answer audio", path)
	}
}

// TestAnswerAudioUpload: only moderators and admins upload a spoken
// answer; a WAV in the wrong format, a silent one or a non-WAV is a 400
// and leaves no file and no row; a good one is stored and served back.
func TestAnswerAudioUpload(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	ctx := context.Background()
	tk, err := pc.store.CreateTicket(ctx, NewTicket{CallID: "a-1", Caller: "+84912000888", Hotline: "1022", Language: "vi", Topic: "other",
		Duration: 3 * time.Second, Consent: "dtmf:1", ConsentAt: time.Now(), IVRPath: []string{"greeting"}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	url := answerAudioURL(tk.ID)
	good := EncodeWAV(tone(700, 1, 8000))
	if w := pc.do(t, "", "PUT", url, good); w.Code != 401 {
		t.Errorf("anonymous upload: %d, want 401", w.Code)
	}
	if w := pc.do(t, "hoa", "PUT", url, good); w.Code != 403 {
		t.Errorf("leader upload: %d, want 403", w.Code)
	}
	wide := EncodeWAV(tone(700, 1, 8000))
	wide[24], wide[25] = 0x80, 0x3e // 16 kHz in the header
	tooLong := EncodeWAV(tone(700, pc.cfg.AnswerAudioMax.Seconds()+1, 8000))
	for name, body := range map[string][]byte{"16 kHz": wide, "silent": EncodeWAV(make([]int16, sampleRate)), "not a WAV": []byte("hello"),
		"too short": EncodeWAV(tone(700, 0.2, 8000)), "too long": tooLong} {
		if w := pc.do(t, "lan", "PUT", url, body); w.Code != 400 || !strings.Contains(w.Body.String(), `"error"`) {
			t.Errorf("%s upload: %d %s, want 400 with an error", name, w.Code, w.Body)
		}
	}
	if rel, _ := pc.store.AnswerAudio(ctx, tk.ID); rel != "" {
		t.Errorf("after bad uploads the ticket names %q", rel)
	}
	var blobs int
	if err := pc.pool.QueryRow(ctx, `SELECT count(*) FROM blobs WHERE key LIKE 'recordings/answers/%'`).Scan(&blobs); err != nil || blobs != 0 {
		t.Errorf("bad uploads left %d blobs (%v)", blobs, err)
	}
	if w := pc.do(t, "lan", "GET", url, nil); w.Code != 404 {
		t.Errorf("answer audio before any upload: %d, want 404", w.Code)
	}
	if w := pc.do(t, "lan", "PUT", answerAudioURL(tk.ID+100), good); w.Code != 404 {
		t.Errorf("upload to an unknown ticket: %d, want 404", w.Code)
	}

	if w := pc.do(t, "lan", "PUT", url, good); w.Code != 200 {
		t.Fatalf("good upload: %d %s", w.Code, w.Body)
	}
	rel, err := pc.store.AnswerAudio(ctx, tk.ID)
	if err != nil || rel == "" {
		t.Fatalf("ticket's answer audio after upload: %q %v", rel, err)
	}
	if stored := pc.blob(t, rel); !bytes.Equal(stored, good) {
		t.Errorf("stored blob (%d bytes) differs from the upload (%d)", len(stored), len(good))
	}
	if w := pc.do(t, "lan", "GET", url, nil); w.Code != 200 || w.Header().Get("Content-Type") != "audio/wav" || !bytes.Equal(w.Body.Bytes(), good) {
		t.Errorf("GET answer audio: %d %s, %d bytes", w.Code, w.Header().Get("Content-Type"), w.Body.Len())
	}
	if w := pc.do(t, "hoa", "GET", url, nil); w.Code != 403 {
		t.Errorf("leader GET answer audio: %d, want 403", w.Code)
	}
	if w := pc.do(t, "lan", "GET", "/api/v1/hotline/tickets/"+strconv.FormatInt(tk.ID, 10), nil); !strings.Contains(w.Body.String(), `"answer_audio_url":"`+url+`"`) {
		t.Errorf("ticket view lacks its answer_audio_url: %s", w.Body)
	}
	// A new recording replaces the old one, file included.
	if w := pc.do(t, "lan", "PUT", url, EncodeWAV(tone(900, 1, 8000))); w.Code != 200 {
		t.Fatalf("second upload: %d %s", w.Code, w.Body)
	}
	if _, err := pc.cfg.blobs.Stat(ctx, rel); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("the replaced recording is still stored (%v)", err)
	}
}

// TestOperatorCallAfterStatusContinuesCase: a caller who heard a ticket's
// status, went back to the menu and reached an operator leaves an
// operator ticket in the same case; having pressed 1 for SMS news on the
// way, that ticket's item is notified (one "received" row to the number).
func TestOperatorCallAfterStatusContinuesCase(t *testing.T) {
	t.Parallel()
	pc := startPGCenterWith(t, typingTime, withOutbox(t))
	ctx := context.Background()
	const number = "0912000999"
	first, err := pc.store.CreateTicket(ctx, NewTicket{CallID: "first-op", Caller: e164(number), Hotline: "1022", Language: "vi", Topic: "land",
		Duration: 3 * time.Second, Consent: "dtmf:1", ConsentAt: time.Now(), IVRPath: []string{"greeting"}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	firstItem, err := pc.mod.Store.FindItemByTrackingCode(ctx, first.Number)
	if err != nil {
		t.Fatal(err)
	}
	agent := registeredAgent(t, pc, true)
	p := pc.statusCall(t, number, first.Number)
	pc.steps.wait(t, p, "status:read")
	p.press("2") // not a message: back to the menu
	pc.steps.wait(t, p, "status:menu")
	p.press("1") // land: an operator
	pc.steps.wait(t, p, "consent_ask")
	p.press("1")
	pc.steps.wait(t, p, "notify_ask")
	p.press("1")
	pc.steps.wait(t, p, "agent:lan")
	select {
	case <-agent.invites:
	case <-time.After(10 * time.Second):
		t.Fatal("the agent's phone never answered")
	}
	p.hangup()
	_, it := pc.operatorTicket(t, p.dlg.InviteRequest.CallID().Value())
	if it.CaseID == nil || *it.CaseID != firstItem.ID {
		t.Errorf("operator ticket after a status look-up: case %v, want %d", it.CaseID, firstItem.ID)
	}
	if rows := pc.outbox(t, it.ID); len(rows) != 1 || rows[0].Event != moderation.EventReceived || rows[0].Recipient != e164(number) {
		t.Errorf("outbox of the operator ticket whose caller pressed 1: %+v", rows)
	}
	if path := pc.cdrPath(t, p); !slices.Contains(path, "notify:yes") || !slices.Contains(path, "status:found") {
		t.Errorf("CDR path %v", path)
	}
}

// TestStatusByPhoneLimited: look-ups by phone spend the caller number's
// tracking budget (moderation's, shared with the web): once the misses
// are spent, even a right code is refused ("too many", no status read),
// while another caller's look-up of the same code still works.
func TestStatusByPhoneLimited(t *testing.T) {
	t.Parallel()
	pc := startPGCenterWith(t, typingTime)
	ctx := context.Background()
	tk, err := pc.store.CreateTicket(ctx, NewTicket{CallID: "lim-1", Caller: "+84912111222", Hotline: "1022", Language: "vi", Topic: "other",
		Duration: 3 * time.Second, Consent: "dtmf:1", ConsentAt: time.Now(), IVRPath: []string{"greeting"}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	const sweeper = "0912999000"
	for i := 0; i < 10; i++ { // ten misses, as a sweep from this number would leave
		if _, err := pc.mod.Track(ctx, "sip:"+e164(sweeper), moderation.NewNumericCode()); err == nil {
			t.Fatalf("miss %d: %v", i, err)
		}
	}
	p := pc.statusCall(t, sweeper, tk.Number)
	pc.steps.wait(t, p, "status:too_many")
	p.hangup()
	if path := pc.cdrPath(t, p); slices.Contains(path, "status:found") {
		t.Errorf("a number out of budget heard the status: %v", path)
	}
	p = pc.statusCall(t, "0912111222", tk.Number)
	pc.steps.wait(t, p, "status:found")
	p.hangup()
}

// TestPhoneMessageAnswersInfoRequest: a caller told by phone that more
// information is needed leaves a message about the case; that is the
// citizen's reply: the first item is back in the queue (pending) with its
// assignee kept, its content naming the new ticket.
func TestPhoneMessageAnswersInfoRequest(t *testing.T) {
	t.Parallel()
	pc := startPGCenterWith(t, typingTime)
	ctx := context.Background()
	tk, err := pc.store.CreateTicket(ctx, NewTicket{CallID: "info-1", Caller: "+84912333444", Hotline: "1022", Language: "vi", Topic: "other",
		Duration: 3 * time.Second, Consent: "dtmf:1", ConsentAt: time.Now(), IVRPath: []string{"greeting"}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	it, _ := pc.mod.Store.FindItemByTrackingCode(ctx, tk.Number)
	lan := pc.users["lan"]
	if _, err := pc.mod.Act(ctx, lan, it.ID, moderation.ActionClaim, moderation.ActionInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.mod.Act(ctx, lan, it.ID, moderation.ActionRequestInfo, moderation.ActionInput{Message: "Xin cho biết số thửa đất."}); err != nil {
		t.Fatal(err)
	}
	p := pc.statusCall(t, "0912333444", tk.Number)
	pc.steps.wait(t, p, "status:read")
	p.press("1")
	pc.steps.wait(t, p, "consent_ask")
	p.press("1")
	pc.steps.wait(t, p, "notify_ask")
	p.press("2")
	pc.steps.wait(t, p, "record")
	p.sendAudio(tone(440, 1, 8000))
	time.Sleep(700 * time.Millisecond) // the caller speaks
	p.press("#")
	if !p.waitHangup(15 * time.Second) {
		t.Fatal("no BYE after the message")
	}
	msg, _ := pc.operatorTicket(t, p.dlg.InviteRequest.CallID().Value())
	after, err := pc.mod.Store.FindItemByID(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != moderation.StatusPending || after.AssigneeName() != "lan" || !strings.Contains(after.Content, msg.Number) {
		t.Errorf("after the phone reply: status %s, assignee %q, content names the message %v", after.Status, after.AssigneeName(), strings.Contains(after.Content, msg.Number))
	}
}
