package callcenter

import (
	"context"
	"testing"
	"time"
)

func toPCM(x []float64) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(v * 32767)
	}
	return out
}

// An agent calls the staff line, records H'Mông's topic menu (a chirp the
// phone "speaks"), listens back and saves with 1; the next caller who
// picks H'Mông hears that recording.
func TestRecordPromptByPhone(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.StaffNumbers = []string{"1023"}
	ts := startTestServer(t, cfg)
	ts.store.AddAgent("lan", "lan-sip-secret")
	st := ts.recordSteps()

	voice := toPCM(chirp(300, 3000, 1, 0.5, sampleRate))
	staff := newPhone(t, "lan")
	if res, err := staff.callAs(ts.addr, "1023", "lan", "lan-sip-secret"); err != nil {
		t.Fatalf("staff call: %v (%v)", err, res)
	}
	st.wait(t, staff, "staff")
	staff.press("3") // H'Mông, by its key, though not active yet
	st.wait(t, staff, "staff:lang:hmn")
	staff.press("3#") // the third prompt: topic_menu
	st.wait(t, staff, "staff:prompt:topic_menu")
	st.wait(t, staff, "staff:record")
	staff.sendAudio(voice)
	time.Sleep(1500 * time.Millisecond) // the time it takes to speak the prompt
	staff.sendAudio(nil)
	staff.press("#")
	st.wait(t, staff, "staff:record_end:hash")
	staff.press("1") // over the playback: save
	st.wait(t, staff, "staff:saved:hmn:topic_menu")
	staff.hangup()

	stored, _ := ts.store.StoredPrompts(context.Background())
	if len(stored) != 1 || stored[0].Language != "hmn" || stored[0].Name != PromptTopicMenu || stored[0].Source != SourcePhone {
		t.Fatalf("stored prompts: %+v", stored)
	}
	rec, err := DecodeWAV(stored[0].WAV)
	if err != nil {
		t.Fatal(err)
	}
	// About the 1.5 s spoken, and no longer than the server's recording
	// phase (the prompt before it is not in it) and what the phone sent
	// late into it; an upper bound of 2 s on the test's clock fails when a
	// loaded machine sends # late.
	phase := st.at(t, staff, "staff:record_end:hash").Sub(st.at(t, staff, "staff:record")) + staff.lateBy() + 100*time.Millisecond
	if got := time.Duration(len(rec)) * time.Second / sampleRate; got < 1200*time.Millisecond || got > phase {
		t.Errorf("recording is %v, want about 1.5 s and at most the %v the server recorded for", got, phase)
	}
	if c := bestCorrelation(rec, voice[800:3200]); c < 0.8 {
		t.Errorf("the recording does not contain what the phone said: correlation %.2f", c)
	}

	if _, err := ts.store.PutLanguage(context.Background(), "hmn", LanguageUpdate{Name: "Tiếng H'Mông", MenuKey: "3", Active: true}); err != nil {
		t.Fatal(err)
	}
	caller := newPhone(t, "0912000444")
	caller.mustCall(ts.addr, "1022", "udp")
	st.wait(t, caller, "greeting")
	caller.press("3")
	st.wait(t, caller, "lang:3:hmn")
	mid := rec[len(rec)/2-2000 : len(rec)/2+2000]
	if c := waitHeard(t, caller, mid, 10*time.Second); c < 0.8 {
		t.Errorf("the next call did not hear the recorded prompt: correlation %.2f", c)
	}
	caller.hangup()
}

func TestStaffLineAccess(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.StaffNumbers = []string{"1023"}
	ts := startTestServer(t, cfg)
	ts.store.AddAgent("lan", "lan-sip-secret")

	t.Run("ErrNoCredentials", func(t *testing.T) {
		res, err := newPhone(t, "0912000555").call(ts.addr, "1023", "udp")
		if err == nil || res == nil || res.StatusCode != 401 {
			t.Fatalf("call without credentials: %v %v, want 401", res, err)
		}
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		res, err := newPhone(t, "lan").callAs(ts.addr, "1023", "lan", "guess")
		if err == nil || res == nil || res.StatusCode != 403 {
			t.Fatalf("wrong secret: %v %v, want 403", res, err)
		}
	})
	t.Run("ErrUnknownNumber", func(t *testing.T) {
		res, err := newPhone(t, "lan").callAs(ts.addr, "1024", "lan", "lan-sip-secret")
		if err == nil || res == nil || res.StatusCode != 404 {
			t.Fatalf("unknown number: %v %v, want 404", res, err)
		}
	})
}

func TestStaffLinePIN(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.StaffNumbers = []string{"1023"}
	cfg.StaffPIN = "2468"
	ts := startTestServer(t, cfg)
	st := ts.recordSteps()

	p := newPhone(t, "0912000666")
	p.mustCall(ts.addr, "1023", "udp") // no credentials: answered, PIN asked
	st.wait(t, p, "staff")
	p.press("1111#")
	st.wait(t, p, "staff:pin_bad")
	p.press("2468#")
	st.wait(t, p, "staff:pin_ok")
	p.press("4") // Tày
	st.wait(t, p, "staff:lang:tay")
	p.press("99#") // no such prompt
	st.wait(t, p, "staff:prompt:invalid")
	p.hangup()

	// Three wrong PINs end the call.
	q := newPhone(t, "0912000777")
	q.mustCall(ts.addr, "1023", "udp")
	st.wait(t, q, "staff")
	for range staffPINTries {
		q.press("0000#") // the keys queue; the line reads them one PIN at a time
	}
	if !q.waitHangup(15 * time.Second) {
		t.Fatal("three wrong PINs did not end the call")
	}
	if stored, _ := ts.store.StoredPrompts(context.Background()); len(stored) != 0 {
		t.Errorf("prompts stored without a PIN: %+v", stored)
	}
}

// On the real store the recording lands in hotline_prompts with who made
// it, and the API lists the prompt as no longer missing.
func TestRecordPromptByPhoneWithPostgres(t *testing.T) {
	t.Parallel()
	pc := startPGCenterWith(t, func(c *Config) { c.StaffNumbers = []string{"1023"} })
	staff := newPhone(t, "lan")
	if res, err := staff.callAs(pc.addr, "1023", "lan", "lan-sip-secret"); err != nil {
		t.Fatalf("staff call: %v (%v)", err, res)
	}
	pc.steps.wait(t, staff, "staff")
	staff.press("4")  // Tày
	staff.press("1#") // greeting
	pc.steps.wait(t, staff, "staff:prompt:greeting")
	pc.steps.wait(t, staff, "staff:record")
	staff.sendAudio(toPCM(chirp(300, 3000, 1, 0.5, sampleRate)))
	time.Sleep(time.Second) // speaking
	staff.press("#")
	pc.steps.wait(t, staff, "staff:record_end:hash")
	staff.press("1")
	pc.steps.wait(t, staff, "staff:saved:tay:greeting")
	staff.hangup()

	var source string
	var by int64
	if err := pc.pool.QueryRow(context.Background(), `SELECT source, updated_by FROM hotline_prompts WHERE language = 'tay' AND name = 'greeting'`).Scan(&source, &by); err != nil {
		t.Fatal(err)
	}
	if source != SourcePhone || by != pc.users["lan"].ID {
		t.Errorf("stored prompt: source %q by %d, want phone by lan (%d)", source, by, pc.users["lan"].ID)
	}
	for _, m := range pc.languages(t)["tay"].Missing {
		if m == PromptGreeting {
			t.Error("the recorded greeting is still listed as missing")
		}
	}
}
