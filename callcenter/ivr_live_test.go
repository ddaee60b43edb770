package callcenter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/doithoai/doithoai/internal/blob"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/broker"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/ratelimit"
	"github.com/doithoai/doithoai/livechat"
	"github.com/doithoai/doithoai/moderation"
	"github.com/doithoai/doithoai/moderation/notify"
	"github.com/go-chi/chi/v5"
)

// The production code of callcenter never imports livechat (they meet in
// moderation); this test wires the real livechat channel into the same
// queue, as cmd/doithoai does, to follow a phone question end to end.

// tapBroker is the in-memory broker, also handing every publication to
// the test: what livechat broadcasts to the other nodes' viewers.
type tapBroker struct {
	*broker.Memory
	published chan []byte
}

func (b tapBroker) Publish(ctx context.Context, channel string, data []byte) error {
	select {
	case b.published <- append([]byte(nil), data...):
	default:
	}
	return b.Memory.Publish(ctx, channel, data)
}

// withLive adds the livechat channel (registered with moderation as the
// node does) and moderation/notify's outbox to pc.
func withLive(t *testing.T, pc *pgCenter) *livechat.Service {
	lc, _ := withLiveTap(t, pc)
	return lc
}

func withLiveTap(t *testing.T, pc *pgCenter) (*livechat.Service, chan []byte) {
	t.Helper()
	cat := i18n.New()
	if err := cat.Add(notify.Messages); err != nil {
		t.Fatal(err)
	}
	ob, err := notify.NewOutbox(pc.pool, cat, "https://doithoai.example.vn", nil)
	if err != nil {
		t.Fatal(err)
	}
	pc.mod.Outbox = ob
	tap := tapBroker{Memory: broker.NewMemory(), published: make(chan []byte, 64)}
	lc, err := livechat.New(livechat.Deps{Pool: pc.pool, Broker: tap, Limiter: ratelimit.NewMemory(), Queue: pc.mod, Log: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lc.Shutdown(context.Background()) })
	for src, h := range lc.Handlers() {
		pc.mod.RegisterHandler(src, h)
	}
	pc.mod.SetLiveIntake(lc.PhoneIntake())
	return lc, tap.published
}

func scheduleSession(t *testing.T, pc *pgCenter, lc *livechat.Service, startsIn time.Duration) livechat.Session {
	t.Helper()
	ss, err := lc.Store().CreateSession(context.Background(), livechat.NewSession{Title: "Giao lưu về đất đai",
		StartsAt: time.Now().Add(startsIn), DurationMinutes: 60, Leaders: []string{"hoa"}}, pc.users["admin"].ID)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// waitRecording waits until a recording being written under dataDir holds
// at least d of audio (the .part file grows as RTP arrives).
func waitRecording(t *testing.T, dataDir string, d time.Duration) {
	t.Helper()
	want := int64(44 + 2*sampleRate*d/time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		parts, _ := filepath.Glob(filepath.Join(dataDir, "recordings", "hotline", "*", "*", "*", "*.part"))
		for _, p := range parts {
			if st, err := os.Stat(p); err == nil && st.Size() >= want {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no recording reached %v", d)
}

// doWith serves one request as login through the hotline's and livechat's routes.
func (pc *pgCenter) doWith(t *testing.T, lc *livechat.Service, login, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if u := pc.users[login]; u != nil {
				req = req.WithContext(identity.With(req.Context(), u))
			}
			next.ServeHTTP(w, req)
		})
	})
	r.Group(pc.Routes)
	r.Group(lc.Routes)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(method, path, nil))
	return w
}

// TestLiveQuestionByPhone: during a live dialogue a caller takes the offer
// (9), consents, asks for SMS, records a question with real RTP; it is a
// live_question item with a playable recording, shown on the live desk;
// approval broadcasts it to the room (without the recording); the
// leader's answer on the air leaves a callback task and an SMS in the
// outbox.
func TestLiveQuestionByPhone(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	lc, published := withLiveTap(t, pc)
	ctx := context.Background()
	ss := scheduleSession(t, pc, lc, -time.Minute)

	p := newPhone(t, "0912000333")
	p.mustCall(pc.addr, "1022", "udp")
	p.press("1")
	pc.steps.wait(t, p, "live_offer")
	p.press("9")
	pc.steps.wait(t, p, fmt.Sprintf("live:%d", ss.ID))
	p.press("1") // consent
	pc.steps.wait(t, p, "consent:dtmf:1")
	p.press("1") // the answer by SMS too
	pc.steps.wait(t, p, "live_notify:true")
	pc.steps.wait(t, p, "live_record")
	p.sendAudio(tone(440, 1, 8000))
	waitRecording(t, pc.cfg.DataDir, 800*time.Millisecond)
	p.press("#")
	if !p.waitHangup(15 * time.Second) {
		t.Fatal("no BYE after the question code")
	}

	var lqID, itemID int64
	var recPath string
	if err := pc.pool.QueryRow(ctx, `SELECT id, item_id, recording_path FROM hotline_live_questions`).Scan(&lqID, &itemID, &recPath); err != nil {
		t.Fatal(err)
	}
	it, err := pc.mod.Store.FindItemByID(ctx, itemID)
	if err != nil {
		t.Fatal(err)
	}
	if it.Source != moderation.SourceLiveQuestion || it.CitizenPhone != "+84912000333" || it.Language != "vi" ||
		it.RecordingURL != liveRecordingURL(lqID) || it.Meta[moderation.MetaPhoneCallback] != true || it.Meta[moderation.MetaNotify] != true ||
		it.Status != moderation.StatusPending || len(it.TrackingCode) != 12 {
		t.Fatalf("item = %+v", it)
	}
	// The recording is complete in the blob store, holds the caller's
	// voice, and moderators (only) can play it.
	want := pc.blob(t, recPath)
	samples, err := DecodeWAV(want)
	if err != nil || len(samples) < sampleRate*7/10 || rms(samples) < 1000 {
		t.Fatalf("recording: %d samples, rms %.0f, %v", len(samples), rms(samples), err)
	}
	w := pc.do(t, "lan", "GET", it.RecordingURL, nil)
	if w.Code != 200 || w.Header().Get("Content-Type") != "audio/wav" || !bytes.Equal(w.Body.Bytes(), want) {
		t.Errorf("recording GET: %d %s, %d bytes", w.Code, w.Header().Get("Content-Type"), w.Body.Len())
	}
	if w := pc.do(t, "hoa", "GET", it.RecordingURL, nil); w.Code != 403 {
		t.Errorf("leader GET recording: %d, want 403", w.Code)
	}
	// The CDR has the path through the offer.
	var path []string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && path == nil {
		pc.pool.QueryRow(ctx, `SELECT ivr_path FROM hotline_calls WHERE call_id = $1`, p.dlg.InviteRequest.CallID().Value()).Scan(&path)
		time.Sleep(20 * time.Millisecond)
	}
	if joined := strings.Join(path, " "); !strings.Contains(joined, "live_offer live:") || !strings.Contains(joined, "live_question") {
		t.Errorf("CDR path %v", path)
	}

	// The live desk lists it with a player.
	qs, err := lc.Store().FindQuestions(ctx, ss.ID, true)
	if err != nil || len(qs) != 1 || qs[0].RecordingURL != it.RecordingURL {
		t.Fatalf("desk questions %+v %v", qs, err)
	}
	desk := pc.doWith(t, lc, "lan", "GET", fmt.Sprintf("/giao-luu/%d/dieu-phoi", ss.ID))
	if desk.Code != 200 || !strings.Contains(desk.Body.String(), `<audio controls preload="none" class="lc-recording" src="`+it.RecordingURL+`"`) {
		t.Errorf("desk page: %d, no player for %s", desk.Code, it.RecordingURL)
	}

	// Approved in the queue like any question: broadcast to the room.
	lan := pc.users["lan"]
	if _, err := pc.mod.Act(ctx, lan, itemID, moderation.ActionClaim, moderation.ActionInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.mod.Act(ctx, lan, itemID, moderation.ActionApprove, moderation.ActionInput{}); err != nil {
		t.Fatal(err)
	}
	msgs, err := lc.Store().ListMessages(ctx, ss.Room, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var broadcast *livechat.Message
	var data struct {
		Via        string `json:"via"`
		QuestionID int64  `json:"question_id"`
	}
	for i := range msgs {
		if msgs[i].Kind == livechat.KindQuestion {
			broadcast = &msgs[i]
			json.Unmarshal(msgs[i].Data, &data)
		}
	}
	if broadcast == nil || broadcast.Body != qs[0].Body || data.Via != "phone" || data.QuestionID != qs[0].ID {
		t.Fatalf("no question broadcast to the room: %+v", msgs)
	}
	// ... and published to the viewers on every node, without the
	// recording or the number.
	var frame []byte
	for timeout := time.After(10 * time.Second); frame == nil; {
		select {
		case b := <-published:
			if bytes.Contains(b, []byte(`"kind":"question"`)) {
				frame = b
			}
		case <-timeout:
			t.Fatal("the approved phone question was never published to the room")
		}
	}
	if !bytes.Contains(frame, []byte(`"room":"`+ss.Room+`"`)) || bytes.Contains(frame, []byte("recording")) || bytes.Contains(frame, []byte("912000333")) {
		t.Errorf("published frame: %s", frame)
	}

	// The leader answers on the air: a callback task and an SMS.
	answer := "Xã sẽ cấp lại sổ đỏ trong tháng này."
	if _, _, err := lc.AnswerQuestion(ctx, pc.users["hoa"], ss.ID, qs[0].ID, answer); err != nil {
		t.Fatal(err)
	}
	var list struct{ Callbacks []Callback }
	w = pc.do(t, "lan", "GET", "/api/v1/hotline/callbacks?status=open", nil)
	json.Unmarshal(w.Body.Bytes(), &list)
	if w.Code != 200 || len(list.Callbacks) != 1 {
		t.Fatalf("callbacks: %d %s", w.Code, w.Body)
	}
	cb := list.Callbacks[0]
	if cb.Kind != CallbackLive || cb.Answer != answer || cb.Caller != "+84912000333" || cb.TicketNumber != it.TrackingCode ||
		cb.RecordingURL != it.RecordingURL || cb.ItemID == nil || *cb.ItemID != itemID || cb.Language != "vi" {
		t.Errorf("callback = %+v", cb)
	}
	var sms int
	if err := pc.pool.QueryRow(ctx, `SELECT count(*) FROM notification_outbox WHERE item_id = $1 AND event = 'answered'
		AND channel = 'sms' AND recipient = '+84912000333' AND body LIKE '%' || $2 || '%'`, itemID, it.TrackingCode).Scan(&sms); err != nil || sms != 1 {
		t.Errorf("answered SMS rows: %d %v", sms, err)
	}
	desk = pc.doWith(t, lc, "lan", "GET", "/hotline")
	if !strings.Contains(desk.Body.String(), "kind-live") || !strings.Contains(desk.Body.String(), it.TrackingCode) {
		t.Errorf("the hotline desk does not list the live callback")
	}
}

// TestLiveNotOfferedWithoutSession: with no session on the air (one is
// scheduled later) nothing is offered: 9 reaches the topic menu, where it
// is not an option.
func TestLiveNotOfferedWithoutSession(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	lc := withLive(t, pc)
	scheduleSession(t, pc, lc, time.Hour)

	p := newPhone(t, "0912000444")
	p.mustCall(pc.addr, "1022", "udp")
	p.press("1")
	pc.steps.wait(t, p, "lang:1:vi")
	p.press("9")
	pc.steps.wait(t, p, "topic:invalid:9")
	pc.steps.mu.Lock()
	got := strings.Join(pc.steps.seen[p.dlg.InviteRequest.CallID().Value()], " ")
	pc.steps.mu.Unlock()
	if strings.Contains(got, "live") {
		t.Errorf("live dialogue offered with none on the air: %s", got)
	}
	var n int
	if err := pc.pool.QueryRow(context.Background(), `SELECT count(*) FROM hotline_live_questions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d live questions, %v", n, err)
	}
	p.hangup()
}

// TestLiveQuestionSessionEndedMeanwhile: a session that leaves the air
// while the caller speaks refuses the question; nothing is lost: it is
// kept as an ordinary ticket, whose number the caller hears.
func TestLiveQuestionSessionEndedMeanwhile(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	lc := withLive(t, pc)
	ctx := context.Background()
	ss := scheduleSession(t, pc, lc, -time.Minute)

	p := newPhone(t, "0912000555")
	p.mustCall(pc.addr, "1022", "udp")
	p.press("1")
	pc.steps.wait(t, p, "live_offer")
	p.press("9")
	pc.steps.wait(t, p, fmt.Sprintf("live:%d", ss.ID))
	p.press("1")
	pc.steps.wait(t, p, "consent:dtmf:1")
	p.press("2") // no SMS
	pc.steps.wait(t, p, "live_notify:false")
	pc.steps.wait(t, p, "live_record")
	p.sendAudio(tone(440, 1, 8000))
	waitRecording(t, pc.cfg.DataDir, 500*time.Millisecond)
	if err := lc.EndSession(ctx, pc.users["admin"], ss.ID); err != nil {
		t.Fatal(err)
	}
	p.press("#")
	pc.steps.wait(t, p, "live_off_air")
	if !p.waitHangup(15 * time.Second) {
		t.Fatal("no BYE after the ticket number")
	}
	var n int
	pc.pool.QueryRow(ctx, `SELECT count(*) FROM hotline_live_questions`).Scan(&n)
	var lq int
	pc.pool.QueryRow(ctx, `SELECT count(*) FROM live_questions`).Scan(&lq)
	if n != 0 || lq != 0 {
		t.Errorf("%d hotline live questions, %d live questions after the session ended", n, lq)
	}
	var topic, recPath string
	if err := pc.pool.QueryRow(ctx, `SELECT topic, recording_path FROM hotline_tickets`).Scan(&topic, &recPath); err != nil {
		t.Fatal(err)
	}
	if samples, err := DecodeWAV(pc.blob(t, recPath)); topic != liveTopic || err != nil || len(samples) < sampleRate/2 {
		t.Errorf("ticket topic %q, recording %d samples, %v", topic, len(samples), err)
	}
}

// TestLiveQuestionRetention: the recording and number of a phone question
// are kept while its callback is open, and purged after.
func TestLiveQuestionRetention(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	lc := withLive(t, pc)
	ctx := context.Background()
	ss := scheduleSession(t, pc, lc, -time.Minute)
	rel := "recordings/hotline/live-test.wav"
	wav := EncodeWAV(tone(440, 1, 8000))
	if err := pc.cfg.blobs.Put(ctx, rel, bytes.NewReader(wav), int64(len(wav))); err != nil {
		t.Fatal(err)
	}
	code, err := pc.store.CreateLiveQuestion(ctx, NewLiveQuestion{SessionID: ss.ID, CallID: "c-ret", Caller: "+84912000888", Hotline: "1022",
		Language: "vi", RecordingPath: rel, Duration: time.Second, Consent: "dtmf:1", ConsentAt: time.Now()})
	if err != nil || len(code) != 12 {
		t.Fatalf("CreateLiveQuestion: %q %v", code, err)
	}
	qs, _ := lc.Store().FindQuestions(ctx, ss.ID, true)
	lan := pc.users["lan"]
	var itemID int64
	pc.pool.QueryRow(ctx, `SELECT item_id FROM hotline_live_questions`).Scan(&itemID)
	if _, err := pc.mod.Act(ctx, lan, itemID, moderation.ActionClaim, moderation.ActionInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.mod.Act(ctx, lan, itemID, moderation.ActionAnswer, moderation.ActionInput{Body: "Trả lời."}); err != nil {
		t.Fatal(err)
	}
	if len(qs) != 1 {
		t.Fatalf("questions %+v", qs)
	}
	later := time.Now().Add(time.Minute)
	if _, err := pc.PurgePersonalData(ctx, later); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.cfg.blobs.Stat(ctx, rel); err != nil {
		t.Fatalf("recording purged while its callback is open: %v", err)
	}
	var cbID int64
	pc.pool.QueryRow(ctx, `SELECT id FROM hotline_callbacks WHERE kind = 'live'`).Scan(&cbID)
	if _, err := pc.store.MarkCallbackDone(ctx, cbID, lan.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.PurgePersonalData(ctx, later); err != nil {
		t.Fatal(err)
	}
	var caller, path, cbCaller string
	pc.pool.QueryRow(ctx, `SELECT caller, recording_path FROM hotline_live_questions`).Scan(&caller, &path)
	pc.pool.QueryRow(ctx, `SELECT caller FROM hotline_callbacks WHERE id = $1`, cbID).Scan(&cbCaller)
	if _, err := pc.cfg.blobs.Stat(ctx, rel); !errors.Is(err, blob.ErrNotFound) || caller != "" || path != "" || cbCaller != "" {
		t.Errorf("after purge: file %v, caller %q, path %q, callback caller %q", err, caller, path, cbCaller)
	}
}
