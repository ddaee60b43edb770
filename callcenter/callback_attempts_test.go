package callcenter

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/moderation"
	"github.com/doithoai/doithoai/moderation/notify"
)

// answeredTicket stores a voicemail ticket from caller, answers its item
// as lan and returns the item id and the callback task's id.
func answeredTicket(t *testing.T, pc *pgCenter, caller, answer string) (itemID, cbID int64) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	tk, err := pc.store.CreateTicket(ctx, NewTicket{CallID: "call-" + caller, Caller: caller, Hotline: "1022", Language: "vi",
		Topic: "land", Consent: "dtmf:1", ConsentAt: now, IVRPath: []string{"greeting"}, ReceivedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.pool.QueryRow(ctx, `SELECT item_id FROM hotline_tickets WHERE id = $1`, tk.ID).Scan(&itemID); err != nil {
		t.Fatal(err)
	}
	lan := pc.users["lan"]
	if _, err := pc.mod.Act(ctx, lan, itemID, moderation.ActionClaim, moderation.ActionInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.mod.Act(ctx, lan, itemID, moderation.ActionAnswer, moderation.ActionInput{Body: answer}); err != nil {
		t.Fatal(err)
	}
	if err := pc.pool.QueryRow(ctx, `SELECT id FROM hotline_callbacks WHERE ticket_id = $1`, tk.ID).Scan(&cbID); err != nil {
		t.Fatal(err)
	}
	return itemID, cbID
}

func auditNotes(t *testing.T, pc *pgCenter, itemID int64, action string) []string {
	t.Helper()
	rows, err := pc.pool.Query(context.Background(), `SELECT note FROM moderation_audit WHERE item_id = $1 AND action = $2 ORDER BY id`, itemID, action)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}

// TestCallbackAttemptsThenNote: attempts are recorded by who, when and
// outcome, on the API and the desk; bad input changes nothing; after
// HOTLINE_CALLBACK_ATTEMPTS misses a caller without SMS consent leaves a
// note on the item, and the task is closed as unreached.
func TestCallbackAttemptsThenNote(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	ctx := context.Background()
	itemID, cbID := answeredTicket(t, pc, "+84912000601", "Xã sẽ đo lại đất.")
	base := "/api/v1/hotline/callbacks/" + strconv.FormatInt(cbID, 10)

	for _, bad := range []string{`{"outcome":"bogus"}`, `{"outcome":""}`, `{"outcome":"busy","note":"` + strings.Repeat("x", 2001) + `"}`, `not json`} {
		w := pc.do(t, "lan", "POST", base+"/attempts", []byte(bad))
		if w.Code != 400 || !strings.Contains(w.Body.String(), `"error"`) {
			t.Errorf("attempt %.30s: %d %s", bad, w.Code, w.Body)
		}
	}
	if w := pc.do(t, "hoa", "POST", base+"/attempts", []byte(`{"outcome":"busy"}`)); w.Code != 403 {
		t.Errorf("leader attempt: %d, want 403", w.Code)
	}
	var n int
	pc.pool.QueryRow(ctx, `SELECT count(*) FROM hotline_callback_attempts`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d attempts stored by refused requests", n)
	}

	// First attempt over the API, second with the desk's form.
	w := pc.do(t, "lan", "POST", base+"/attempts", []byte(`{"outcome":"no_answer","note":"chuông đổ lâu"}`))
	var cb Callback
	json.Unmarshal(w.Body.Bytes(), &cb)
	if w.Code != 200 || cb.Status != CallbackOpen || cb.Attempts != 1 || len(cb.AttemptLog) != 1 || cb.AttemptLog[0].Outcome != AttemptNoAnswer ||
		cb.AttemptLog[0].By == nil || *cb.AttemptLog[0].By != "lan" || time.Since(cb.AttemptLog[0].At) > time.Minute || cb.AttemptLog[0].Note != "chuông đổ lâu" {
		t.Fatalf("first attempt: %d %s", w.Code, w.Body)
	}
	if w := pc.postForm(t, "lan", "/hotline/callbacks/"+strconv.FormatInt(cbID, 10)+"/attempts", url.Values{"outcome": {"busy"}}); w.Code != 303 {
		t.Fatalf("desk attempt: %d %s", w.Code, w.Body)
	}
	if w := pc.postForm(t, "lan", "/hotline/callbacks/"+strconv.FormatInt(cbID, 10)+"/attempts", url.Values{"outcome": {"maybe"}}); w.Code != 400 {
		t.Errorf("desk bad outcome: %d", w.Code)
	}
	page := pc.do(t, "lan", "GET", "/hotline", nil).Body.String()
	// (no catalog in this router: the page shows message keys)
	if strings.Count(page, `<li class="attempt">`) != 2 || !strings.Contains(page, "lan · hotline.attempt.no_answer: chuông đổ lâu") || !strings.Contains(page, "lan · hotline.attempt.busy") {
		t.Errorf("desk does not show the attempts:\n%s", page)
	}
	var list struct {
		Attempts    []CallbackAttempt
		MaxAttempts int `json:"max_attempts"`
	}
	w = pc.do(t, "hoa", "GET", base+"/attempts", nil)
	json.Unmarshal(w.Body.Bytes(), &list)
	if w.Code != 200 || len(list.Attempts) != 2 || list.Attempts[1].Outcome != AttemptBusy || list.MaxAttempts != 3 {
		t.Errorf("attempt list: %d %s", w.Code, w.Body)
	}
	if got := auditNotes(t, pc, itemID, moderation.AuditCallbackUnreached); len(got) != 0 {
		t.Fatalf("given up after two attempts: %v", got)
	}

	// Third miss: given up; no SMS consent, so a note for the moderators.
	w = pc.do(t, "lan", "POST", base+"/attempts", []byte(`{"outcome":"no_answer"}`))
	json.Unmarshal(w.Body.Bytes(), &cb)
	if w.Code != 200 || cb.Status != CallbackUnreached || cb.Attempts != 3 || cb.Note != "note" {
		t.Fatalf("third attempt: %d %s", w.Code, w.Body)
	}
	if got := auditNotes(t, pc, itemID, moderation.AuditCallbackUnreached); len(got) != 1 || got[0] != "note (3: no_answer, busy, no_answer)" {
		t.Errorf("item notes %v", got)
	}
	pc.pool.QueryRow(ctx, `SELECT count(*) FROM notification_outbox`).Scan(&n)
	if n != 0 {
		t.Errorf("%d notifications without consent", n)
	}
	if w := pc.do(t, "lan", "POST", base+"/attempts", []byte(`{"outcome":"done"}`)); w.Code != 409 {
		t.Errorf("attempt on an unreached task: %d, want 409", w.Code)
	}
	if w := pc.do(t, "lan", "GET", "/api/v1/hotline/callbacks?status=unreached", nil); !strings.Contains(w.Body.String(), `"status":"unreached"`) {
		t.Errorf("unreached list: %s", w.Body)
	}
}

// TestCallbackUnreachedBySMS: a caller who chose notifications gets the
// answer by SMS (vi template, through the outbox) when the callback is
// given up; a "done" attempt closes a task with no SMS.
func TestCallbackUnreachedBySMS(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	ctx := context.Background()
	cat := i18n.New()
	if err := cat.Add(notify.Messages); err != nil {
		t.Fatal(err)
	}
	ob, err := notify.NewOutbox(pc.pool, cat, "https://doithoai.example.vn", nil)
	if err != nil {
		t.Fatal(err)
	}
	pc.mod.Outbox = ob
	answer := "Hồ sơ của bạn đã được duyệt."
	itemID, cbID := answeredTicket(t, pc, "+84912000602", answer)
	if _, err := pc.pool.Exec(ctx, `UPDATE moderation_items SET meta = meta || '{"notify": true}' WHERE id = $1`, itemID); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := pc.store.RecordCallbackAttempt(ctx, cbID, pc.users["lan"].ID, AttemptBusy, "", 3); err != nil {
			t.Fatal(err)
		}
	}
	var body, to string
	if err := pc.pool.QueryRow(ctx, `SELECT body, recipient FROM notification_outbox WHERE item_id = $1 AND event = $2 AND channel = 'sms'`,
		itemID, moderation.EventCallbackUnreached).Scan(&body, &to); err != nil {
		t.Fatal(err)
	}
	if to != "+84912000602" || !strings.Contains(body, answer) || !strings.Contains(body, "không liên lạc được") {
		t.Errorf("SMS to %s: %q", to, body)
	}
	if got := auditNotes(t, pc, itemID, moderation.AuditCallbackUnreached); len(got) != 1 || !strings.HasPrefix(got[0], "sms (3:") {
		t.Errorf("item notes %v", got)
	}

	// Reached at the first try: done, no SMS of this kind.
	item2, cb2 := answeredTicket(t, pc, "+84912000603", "Đã giải quyết.")
	cb, err := pc.store.RecordCallbackAttempt(ctx, cb2, pc.users["lan"].ID, AttemptDone, "đã nói chuyện", 3)
	if err != nil || cb.Status != CallbackDone || cb.Attempts != 1 || cb.DoneBy == nil || *cb.DoneBy != "lan" {
		t.Fatalf("done: %+v %v", cb, err)
	}
	var n int
	pc.pool.QueryRow(ctx, `SELECT count(*) FROM notification_outbox WHERE item_id = $1`, item2).Scan(&n)
	if n != 0 {
		t.Errorf("%d notifications for a reached caller", n)
	}
}

// TestLateCallbackEscalates: a task still open HOTLINE_CALLBACK_GRACE after
// its due time escalates its item once (audit by the system), and the desk
// flags it; a task inside the grace is left alone.
func TestLateCallbackEscalates(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	ctx := context.Background()
	lateItem, lateCB := answeredTicket(t, pc, "+84912000701", "Trả lời A.")
	freshItem, _ := answeredTicket(t, pc, "+84912000702", "Trả lời B.")
	if _, err := pc.pool.Exec(ctx, `UPDATE hotline_callbacks SET due_at = now() - $2::interval WHERE id = $1`,
		lateCB, (pc.cfg.CallbackGrace + time.Minute).String()); err != nil {
		t.Fatal(err)
	}
	n, err := pc.EscalateLateCallbacks(ctx)
	if err != nil || n != 1 {
		t.Fatalf("escalated %d, %v; want 1", n, err)
	}
	if n, err := pc.EscalateLateCallbacks(ctx); err != nil || n != 0 {
		t.Errorf("second run escalated %d, %v", n, err)
	}
	late, _ := pc.mod.Store.FindItemByID(ctx, lateItem)
	fresh, _ := pc.mod.Store.FindItemByID(ctx, freshItem)
	if !late.Escalated || fresh.Escalated {
		t.Errorf("escalated: late %v, fresh %v", late.Escalated, fresh.Escalated)
	}
	if got := auditNotes(t, pc, lateItem, moderation.AuditCallbackOverdue); len(got) != 1 {
		t.Errorf("overdue audit entries %v", got)
	}
	cb, err := pc.store.FindCallback(ctx, lateCB)
	if err != nil || !cb.Escalated {
		t.Errorf("callback %+v %v", cb, err)
	}
	if page := pc.do(t, "lan", "GET", "/hotline", nil).Body.String(); strings.Count(page, "callback-late") != 1 {
		t.Errorf("desk flags %d late callbacks, want 1", strings.Count(page, "callback-late"))
	}
}
