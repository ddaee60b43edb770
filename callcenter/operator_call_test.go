package callcenter

import (
	"context"
	"github.com/doithoai/doithoai/internal/contact"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/moderation"
	"github.com/go-chi/chi/v5"
)

// postForm sends a desk form as login and returns the response.
func (pc *pgCenter) postForm(t *testing.T, login, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			next.ServeHTTP(w, req.WithContext(identity.With(req.Context(), pc.users[login])))
		})
	})
	r.Group(pc.Routes)
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// operatorCall rings lan's registered phone from caller, who picks
// Vietnamese and the land topic, answers the consent prompt with key
// (0: stays silent) and is bridged. It returns the caller's phone and
// when the test saw the consent prompt: the bridge, and its recording,
// began after that.
func operatorCall(t *testing.T, pc *pgCenter, agent *phone, number string, key byte) (*phone, time.Time) {
	t.Helper()
	caller := newPhone(t, number)
	caller.mustCall(pc.addr, "1022", "udp")
	caller.sendAudio(tone(440, 1, 7000))
	caller.press("11")
	pc.steps.wait(t, caller, "consent_ask")
	asked := time.Now()
	if key != 0 {
		caller.press(string(key))
	}
	pc.steps.wait(t, caller, "agent:lan")
	select {
	case <-agent.invites:
	case <-time.After(10 * time.Second):
		t.Fatal("the agent's phone never answered")
	}
	return caller, asked
}

func registeredAgent(t *testing.T, pc *pgCenter, answers bool) *phone {
	t.Helper()
	agent := newAgentPhone(t, "lan", answers)
	if code := agent.register(t, pc.addr, "lan", "lan-sip-secret"); code != 200 {
		t.Fatalf("agent REGISTER: %d", code)
	}
	return agent
}

// operatorTicket waits for the ticket of call callID and returns it with
// its moderation item.
func (pc *pgCenter) operatorTicket(t *testing.T, callID string) (TicketRecord, moderation.Item) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int
		if err := pc.pool.QueryRow(ctx, `SELECT count(*) FROM hotline_tickets WHERE call_id = $1`, callID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 1 {
			t.Fatalf("%d tickets for one call", n)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no ticket after the call ended")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var id int64
	if err := pc.pool.QueryRow(ctx, `SELECT id FROM hotline_tickets WHERE call_id = $1`, callID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	tk, err := pc.store.FindTicketByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	it, err := pc.mod.Store.FindItemByID(ctx, *tk.ItemID)
	if err != nil {
		t.Fatal(err)
	}
	return tk, it
}

// TestOperatorCallTicketWithSummary: while the call is bridged the desk
// shows the caller's number, IVR choices and earlier case (masked number
// for a leader); the summary posted during the call is in the ticket made
// at BYE, with a recording of both directions; a summary changed after
// the call updates the item, with an audit entry by the operator.
func TestOperatorCallTicketWithSummary(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	ctx := context.Background()
	const number = "0912345678"
	earlier, err := pc.store.CreateTicket(ctx, NewTicket{CallID: "earlier-1", Caller: number, Hotline: "1022", Language: "vi", Topic: "land",
		RecordingPath: "recordings/x.wav", Duration: 3 * time.Second, Consent: "dtmf:1", ConsentAt: time.Now(), IVRPath: []string{"greeting"}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	agent := registeredAgent(t, pc, true)
	caller, asked := operatorCall(t, pc, agent, number, '1')
	callID := caller.dlg.InviteRequest.CallID().Value()

	w := pc.do(t, "lan", "GET", "/hotline", nil)
	page := w.Body.String()
	for _, want := range []string{e164(number), `class="lang" data-code="vi">Tiếng Việt<`, `class="topic" data-key="land">Đất đai<`, earlier.Number, `name="call_id" value="` + callID + `"`} {
		if w.Code != 200 || !inPage(page, want) {
			t.Errorf("moderator's desk during the call (%d) lacks %q:\n%s", w.Code, want, page)
		}
	}
	w = pc.do(t, "hoa", "GET", "/hotline", nil)
	if page := w.Body.String(); w.Code != 200 || inPage(page, e164(number)) || !inPage(page, moderation.MaskContact(e164(number))) || strings.Contains(page, "call-note") {
		t.Errorf("leader's desk (%d): number shown %v, masked shown %v, form shown %v", w.Code, inPage(page, e164(number)),
			inPage(page, moderation.MaskContact(e164(number))), strings.Contains(page, "call-note"))
	}
	if w := pc.postForm(t, "hoa", "/hotline/call-notes", url.Values{"call_id": {callID}, "summary": {"x"}}); w.Code != 403 {
		t.Errorf("leader writes a summary: %d, want 403", w.Code)
	}
	if w := pc.postForm(t, "lan", "/hotline/call-notes", url.Values{"call_id": {"no-such-call"}, "summary": {"x"}}); w.Code != 404 {
		t.Errorf("summary for an unknown call: %d, want 404", w.Code)
	}
	const summary = "Ông hỏi về thửa đất bị lấn chiếm; hẹn cán bộ xã xuống đo."
	if w := pc.postForm(t, "lan", "/hotline/call-notes", url.Values{"call_id": {callID}, "summary": {summary}}); w.Code != 303 || w.Header().Get("Location") != "/hotline?saved=1" {
		t.Fatalf("summary during the call: %d %s", w.Code, w.Body)
	}
	if page := pc.do(t, "lan", "GET", "/hotline?saved=1", nil).Body.String(); !strings.Contains(page, summary) {
		t.Error("the desk does not show the summary saved during the call")
	}

	// The conversation: until two seconds of it are recorded. A fixed
	// sleep measured the call on the test's clock, which on a loaded
	// machine need not match what the server had bridged and recorded.
	pc.rec.waitRecorded(t, 2*time.Second)
	caller.hangup()
	sinceAsked := time.Since(asked) // the call was bridged within this

	tk, it := pc.operatorTicket(t, callID)
	if it.Source != moderation.SourceHotlineTicket || !strings.Contains(it.Content, summary) || it.Contact != e164(number) || it.Language != "vi" ||
		it.Meta["topic"] != "land" || it.Meta["agent"] != "lan" || tk.Caller != e164(number) || tk.Topic != "land" || tk.Language != "vi" {
		t.Errorf("ticket %+v item %+v", tk, it)
	}
	if it.RecordingURL != recordingURL(tk.ID) || tk.RecordingPath == "" {
		t.Fatalf("no recording: url %q path %q", it.RecordingURL, tk.RecordingPath)
	}
	pcm, err := DecodeWAV(pc.blob(t, tk.RecordingPath))
	if err != nil {
		t.Fatalf("recording is not a valid WAV: %v", err)
	}
	// All that was recorded while bridged, and nothing from before the
	// consent prompt (the IVR) but what a phone sent late into the call.
	got := time.Duration(len(pcm)) * time.Second / sampleRate
	if most := sinceAsked + max(caller.lateBy(), agent.lateBy()) + 100*time.Millisecond; got < 2*time.Second || got > most {
		t.Errorf("recording lasts %v; want the 2s recorded during the call, at most %v (%v since the consent prompt)", got, most, sinceAsked)
	}
	if rms(pcm) < 1000 || goertzel(pcm, 440) < 0.15 || goertzel(pcm, agentFreq) < 0.15 {
		t.Errorf("recording: rms %.0f, caller 440 Hz share %.2f, agent 1000 Hz share %.2f", rms(pcm), goertzel(pcm, 440), goertzel(pcm, agentFreq))
	}
	if w := pc.do(t, "lan", "GET", recordingURL(tk.ID), nil); w.Code != 200 || w.Header().Get("Content-Type") != "audio/wav" {
		t.Errorf("recording download: %d", w.Code)
	}

	// After the call: the summary is corrected; the item follows, audited.
	const better = "Ông hỏi về thửa đất 112 bị lấn chiếm; cán bộ xã đo vào thứ Ba."
	if w := pc.postForm(t, "lan", "/hotline/call-notes", url.Values{"call_id": {callID}, "summary": {better}}); w.Code != 303 {
		t.Fatalf("summary after the call: %d %s", w.Code, w.Body)
	}
	it, err = pc.mod.Store.FindItemByID(ctx, it.ID)
	if err != nil || !strings.Contains(it.Content, better) || it.Meta["summary"] != better {
		t.Errorf("item after the late summary: %+v %v", it, err)
	}
	hist, err := pc.mod.Store.FindHistory(ctx, it.ID)
	if err != nil || len(hist) < 2 || hist[len(hist)-1].Action != moderation.ActionAmend || hist[len(hist)-1].Actor != "lan" {
		t.Errorf("history %+v %v", hist, err)
	}
	var tickets int
	if err := pc.pool.QueryRow(ctx, `SELECT count(*) FROM hotline_tickets WHERE agent <> ''`).Scan(&tickets); err != nil {
		t.Fatal(err)
	}
	if tickets != 1 {
		t.Errorf("%d operator tickets, want 1", tickets)
	}
}

// TestOperatorCallWithoutSummary: nothing written → the item says the call
// was answered by the operator without summary; an answer given on the
// phone and written during the call makes the item answered by the
// operator (audit) and no callback, since the caller heard it.
func TestOperatorCallWithoutSummary(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	ctx := context.Background()
	agent := registeredAgent(t, pc, true)

	caller, _ := operatorCall(t, pc, agent, "0977111222", '1')
	pc.rec.waitRecorded(t, 500*time.Millisecond)
	caller.hangup()
	tk, it := pc.operatorTicket(t, caller.dlg.InviteRequest.CallID().Value())
	if !strings.HasPrefix(it.Content, "Cuộc gọi do lan trả lời, không có tóm tắt.") || it.Status != moderation.StatusPending || tk.RecordingPath == "" {
		t.Errorf("item without summary: %q status %s recording %q", it.Content, it.Status, tk.RecordingPath)
	}

	// The test phone serves one call: a fresh one takes over lan's registration.
	agent.close()
	agent = registeredAgent(t, pc, true)
	caller, _ = operatorCall(t, pc, agent, "0977333444", '1')
	callID := caller.dlg.InviteRequest.CallID().Value()
	const answer = "Hồ sơ cần bản sao sổ hộ khẩu và giấy chứng nhận quyền sử dụng đất."
	if w := pc.postForm(t, "lan", "/hotline/call-notes", url.Values{"call_id": {callID}, "answer": {answer}}); w.Code != 303 {
		t.Fatalf("answer during the call: %d %s", w.Code, w.Body)
	}
	caller.hangup()
	_, it = pc.operatorTicket(t, callID)
	deadline := time.Now().Add(10 * time.Second)
	for it.Status != moderation.StatusAnswered && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		it, _ = pc.mod.Store.FindItemByID(ctx, it.ID)
	}
	if it.Status != moderation.StatusAnswered || it.Answer != answer {
		t.Fatalf("item after an on-phone answer: status %s answer %q", it.Status, it.Answer)
	}
	hist, _ := pc.mod.Store.FindHistory(ctx, it.ID)
	if last := hist[len(hist)-1]; last.Action != moderation.ActionAnswer || last.Actor != "lan" {
		t.Errorf("answer audited as %+v", last)
	}
	var callbacks int
	if err := pc.pool.QueryRow(ctx, `SELECT count(*) FROM hotline_callbacks`).Scan(&callbacks); err != nil {
		t.Fatal(err)
	}
	if callbacks != 0 {
		t.Errorf("%d callbacks for an answer the caller heard", callbacks)
	}
}

// TestOperatorCallWithoutConsent: a caller who does not agree still gets
// a ticket, without a recording.
func TestOperatorCallWithoutConsent(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	agent := registeredAgent(t, pc, true)
	caller, _ := operatorCall(t, pc, agent, "0966555444", 0)
	// Half a second of the caller's audio through the bridge, nothing of
	// it recorded.
	pc.rec.waitRTPIn(t, caller, pc.rec.rtpIn(caller)+25)
	select {
	case <-pc.rec.recordings:
		t.Error("a recording started without consent")
	default:
	}
	caller.hangup()
	tk, it := pc.operatorTicket(t, caller.dlg.InviteRequest.CallID().Value())
	if tk.RecordingPath != "" || tk.Consent != "" || it.RecordingURL != "" || !strings.Contains(it.Content, "Không ghi âm") {
		t.Errorf("ticket without consent: %+v, item recording %q content %q", tk, it.RecordingURL, it.Content)
	}
	if w := pc.do(t, "lan", "GET", recordingURL(tk.ID), nil); w.Code != 404 {
		t.Errorf("recording of an unrecorded call: %d, want 404", w.Code)
	}
	matches, _ := filepath.Glob(filepath.Join(pc.cfg.DataDir, "recordings", "hotline", "*", "*", "*", "*"))
	var blobs int
	if err := pc.pool.QueryRow(context.Background(), `SELECT count(*) FROM blobs`).Scan(&blobs); err != nil || len(matches) != 0 || blobs != 0 {
		t.Errorf("recorded without consent: files %v, %d blobs (%v)", matches, blobs, err)
	}
}

// TestHangupInQueueLeavesCallback: a caller who agreed and hangs up while
// the only agent's phone rings leaves an abandoned-call callback with their
// number, listed on the desk.
func TestHangupInQueueLeavesCallback(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	ctx := context.Background()
	registeredAgent(t, pc, false) // rings, never answers
	const number = "0988123456"
	caller := newPhone(t, number)
	caller.mustCall(pc.addr, "1022", "tcp")
	caller.press("12")
	pc.steps.wait(t, caller, "consent_ask")
	caller.press("1")
	pc.steps.wait(t, caller, "queue")
	pc.steps.wait(t, caller, "ring:lan")
	caller.hangup()
	pc.steps.wait(t, caller, "queue:abandoned_callback")

	var kind, gotCaller, topic string
	var ticket *int64
	if err := pc.pool.QueryRow(ctx, `SELECT kind, caller, topic, ticket_id FROM hotline_callbacks WHERE status = 'open'`).Scan(&kind, &gotCaller, &topic, &ticket); err != nil {
		t.Fatal(err)
	}
	if kind != CallbackAbandoned || gotCaller != e164(number) || topic != "social-policy" || ticket != nil {
		t.Errorf("callback kind %q caller %q topic %q ticket %v", kind, gotCaller, topic, ticket)
	}
	w := pc.do(t, "lan", "GET", "/hotline", nil)
	if page := w.Body.String(); w.Code != 200 || !inPage(page, e164(number)) || !strings.Contains(page, "kind-abandoned") {
		t.Errorf("desk (%d) lacks the abandoned call's callback", w.Code)
	}
	w = pc.do(t, "lan", "GET", "/api/v1/hotline/callbacks?status=open", nil)
	if !strings.Contains(w.Body.String(), `"kind":"abandoned"`) || !strings.Contains(w.Body.String(), e164(number)) {
		t.Errorf("callbacks API: %s", w.Body)
	}
	// Without consent the number is not kept: no callback.
	silent := newPhone(t, "0988999000")
	silent.mustCall(pc.addr, "1022", "udp")
	silent.press("12")
	pc.steps.wait(t, silent, "consent:none")
	pc.steps.wait(t, silent, "queue")
	silent.hangup()
	silentID := silent.dlg.InviteRequest.CallID().Value()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var cdrs int
		if err := pc.pool.QueryRow(ctx, `SELECT count(*) FROM hotline_calls WHERE call_id = $1`, silentID).Scan(&cdrs); err != nil {
			t.Fatal(err)
		}
		if cdrs == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no CDR for the silent caller")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var callbacks int
	if err := pc.pool.QueryRow(ctx, `SELECT count(*) FROM hotline_callbacks`).Scan(&callbacks); err != nil {
		t.Fatal(err)
	}
	if callbacks != 1 {
		t.Errorf("%d callbacks; the caller without consent must leave none", callbacks)
	}

	var id int64
	if err := pc.pool.QueryRow(ctx, `SELECT id FROM hotline_callbacks`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if w := pc.postForm(t, "lan", "/hotline/callbacks/"+strconv.FormatInt(id, 10)+"/done", url.Values{"note": {"đã gọi lại"}}); w.Code != 303 {
		t.Errorf("abandoned callback done: %d %s", w.Code, w.Body)
	}
	// Once done and past the retention, the number goes.
	if _, err := pc.PurgePersonalData(ctx, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := pc.pool.QueryRow(ctx, `SELECT caller FROM hotline_callbacks WHERE id = $1`, id).Scan(&gotCaller); err != nil {
		t.Fatal(err)
	}
	if gotCaller != "" {
		t.Errorf("caller %q kept past the retention", gotCaller)
	}
}

// TestCallMixer: both directions are summed; a side that sends nothing
// counts as silence once the other is ahead, so the track keeps the call's
// length; the length limit stops the recording.
func TestCallMixer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rec, err := startRecording(Config{DataDir: dir, blobs: dirBlobs{root: dir}}, "mix", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m := newCallMixer(rec, 2*time.Second)
	caller, agent := tone(440, 1, 5000), tone(agentFreq, 0.5, 5000)
	for i := 0; i+frameSamples <= len(caller); i += frameSamples {
		m.fromCaller(caller[i : i+frameSamples])
		if i < len(agent) {
			m.fromAgent(agent[i : i+frameSamples])
		}
	}
	for range 100 { // 2 s more of caller audio: the limit cuts it
		m.fromCaller(caller[:frameSamples])
	}
	if err := m.finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	pcm, err := readWAVFile(filepath.Join(dir, rec.rel))
	if err != nil {
		t.Fatal(err)
	}
	if len(pcm) != 2*sampleRate {
		t.Fatalf("recorded %d samples, want the 2 s limit (%d)", len(pcm), 2*sampleRate)
	}
	first, second := pcm[:sampleRate/2], pcm[sampleRate/2:sampleRate]
	if goertzel(first, 440) < 0.3 || goertzel(first, agentFreq) < 0.3 {
		t.Errorf("first half second not mixed: 440 %.2f, 1000 %.2f", goertzel(first, 440), goertzel(first, agentFreq))
	}
	if goertzel(second, 440) < 0.8 || goertzel(second, agentFreq) > 0.05 {
		t.Errorf("after the agent fell silent: 440 %.2f, 1000 %.2f", goertzel(second, 440), goertzel(second, agentFreq))
	}
}

// e164 is how the hotline stores and shows a caller's number.
func e164(n string) string {
	p, err := contact.Phone(n)
	if err != nil {
		panic(err)
	}
	return p
}

// inPage reports whether a page shows s as text: html/template writes the
// "+" of an E.164 number as "&#43;".
func inPage(page, s string) bool {
	return strings.Contains(page, s) || strings.Contains(page, strings.ReplaceAll(s, "+", "&#43;"))
}
