package callcenter

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/moderation"
)

func TestVoicemailBecomesTicket(t *testing.T) {
	t.Parallel()
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			cfg := testConfig(t)
			ts := startTestServer(t, cfg)
			st := ts.recordSteps()
			p := newPhone(t, "0912345678")
			p.mustCall(ts.addr, "1022", transport)

			p.press("13") // Vietnamese, topic "other"; barge-in over the greeting
			st.wait(t, p, "queue:no_agents")
			p.press("1") // consent
			st.wait(t, p, "record")
			p.sendAudio(tone(440, 1, 8000))
			ts.waitRecorded(t, 2*time.Second)
			p.sendAudio(nil)
			p.press("#")
			if !p.waitHangup(10 * time.Second) {
				t.Fatal("server did not hang up after reading the ticket number")
			}

			tickets, _ := ts.store.Snapshot()
			if len(tickets) != 1 {
				t.Fatalf("%d tickets, want 1", len(tickets))
			}
			tk := tickets[0]
			if tk.Caller != "+84912345678" || tk.Language != "vi" || tk.Topic != "other" || tk.Consent != "dtmf:1" || tk.Hotline != "1022" {
				t.Errorf("ticket = %+v", tk.NewTicket)
			}
			if len(tk.Number) != 12 || strings.Trim(tk.Number, "0123456789") != "" || moderation.CheckCode(tk.Number) != nil {
				t.Errorf("ticket number %q: want 12 digits with a valid check digit", tk.Number)
			}
			// As long as the caller spoke: the 2 s waited for, and no more
			// than the server's recording phase (on a loaded machine the
			// test's # comes well after those 2 s) and what the phone sent
			// late into it.
			phase := st.at(t, p, "record_end:hash").Sub(st.at(t, p, "record")) + p.lateBy() + 100*time.Millisecond
			if d := tk.Duration; d < 2*time.Second || d > phase {
				t.Errorf("ticket duration %v, want 2s to %v", d, phase)
			}
			samples, err := readWAVFile(filepath.Join(cfg.DataDir, tk.RecordingPath))
			if err != nil {
				t.Fatal(err)
			}
			if secs := float64(len(samples)) / sampleRate; math.Abs(secs-tk.Duration.Seconds()) > 0.05 {
				t.Errorf("WAV is %.2fs, the ticket says %.2fs", secs, tk.Duration.Seconds())
			}
			if r := rms(samples); r < 2000 {
				t.Errorf("WAV rms %.0f: recording is silent", r)
			}
			if g := goertzel(samples, 440); g < 0.5 {
				t.Errorf("440 Hz carries %.2f of the energy; the caller's tone was not recorded", g)
			}

			cdrs := ts.waitCDRs(t, 1)
			c := cdrs[0]
			if got := ts.metricValue(t, "doithoai_hotline_calls_total", map[string]string{"outcome": "voicemail"}); got != 1 {
				t.Errorf("calls_total{voicemail} = %v, want 1", got)
			}
			if got := ts.metricValue(t, "doithoai_hotline_tickets_total", nil); got != 1 {
				t.Errorf("tickets_total = %v, want 1", got)
			}
			if c.Outcome != OutcomeVoicemail || c.TicketID == nil || *c.TicketID != tk.ID || c.Transport != transport {
				t.Errorf("CDR = %+v", c)
			}
			for _, step := range []string{"greeting", "lang:1:vi", "topic:3:other", "queue:no_agents", "consent:dtmf:1", "record_end:hash", "ticket"} {
				if !slices.Contains(c.IVRPath, step) {
					t.Errorf("IVR path %v lacks %q", c.IVRPath, step)
				}
			}
			// The caller heard prompts and the ticket number: plenty of audio at the prompt tone.
			if heard := p.received(); rms(heard) < 300 || goertzel(heard, promptFreq) < 0.1 {
				t.Errorf("caller heard rms %.0f, prompt tone share %.2f", rms(heard), goertzel(heard, promptFreq))
			}
		})
	}
}

func TestDTMFBySIPInfoAndHangupDuringRecording(t *testing.T) {
	t.Parallel()
	ts := startTestServer(t, testConfig(t))
	st := ts.recordSteps()
	p := newPhone(t, "0987000111")
	p.mustCall(ts.addr, "1080", "udp")

	if res := p.info('2', "application/dtmf-relay"); res.StatusCode != 200 {
		t.Fatalf("INFO dtmf-relay: %d", res.StatusCode)
	}
	st.wait(t, p, "lang:2:en")
	if res := p.info('1', "application/dtmf"); res.StatusCode != 200 {
		t.Fatalf("INFO dtmf: %d", res.StatusCode)
	}
	st.wait(t, p, "topic:1:land")
	if res := p.info('5', "text/plain"); res.StatusCode != 415 {
		t.Errorf("INFO text/plain: %d, want 415", res.StatusCode)
	}
	st.wait(t, p, "queue:no_agents")
	p.info('9', "application/dtmf-relay") // consent by INFO too
	st.wait(t, p, "record")
	p.sendAudio(tone(300, 1, 6000))
	ts.waitRecorded(t, time.Second)
	p.hangup() // hang-up ends the recording; the ticket is still made

	cdrs := ts.waitCDRs(t, 1)
	tickets, _ := ts.store.Snapshot()
	if len(tickets) != 1 || tickets[0].Language != "en" || tickets[0].Topic != "land" || tickets[0].Consent != "dtmf:9" {
		t.Fatalf("tickets = %+v", tickets)
	}
	if d := tickets[0].Duration.Seconds(); d < 0.7 || d > 1.4 {
		t.Errorf("duration %.2fs, want ≈1s", d)
	}
	c := cdrs[0]
	if c.Outcome != OutcomeVoicemail || c.HangupCause != "caller" || !slices.Contains(c.IVRPath, "record_end:hangup") {
		t.Errorf("CDR = %+v", c)
	}
}

func TestMenuRetriesAndNoConsent(t *testing.T) {
	t.Parallel()
	ts := startTestServer(t, testConfig(t))
	st := ts.recordSteps()
	p := newPhone(t, "0900000001")
	p.mustCall(ts.addr, "1022", "udp")

	p.press("9") // not an option
	st.wait(t, p, "lang:invalid:9")
	p.press("2")
	st.wait(t, p, "lang:2:en")
	// No key for the topic menu: one retry, then the default topic.
	st.wait(t, p, "topic:default")
	// No consent: the caller is thanked and hung up on, nothing recorded.
	if !p.waitHangup(10 * time.Second) {
		t.Fatal("no BYE after refused consent")
	}
	cdrs := ts.waitCDRs(t, 1)
	c := cdrs[0]
	want := []string{"greeting", "lang:invalid:9", "lang:2:en", "topic:timeout", "topic:timeout", "topic:default", "topic:3:other", "queue:no_agents", "consent_ask", "consent:none"}
	if !slices.Equal(c.IVRPath, want) {
		t.Errorf("IVR path %v\nwant     %v", c.IVRPath, want)
	}
	if c.Outcome != OutcomeAnswered || c.HangupCause != "server" || c.Language != "en" {
		t.Errorf("CDR = %+v", c)
	}
	if tickets, _ := ts.store.Snapshot(); len(tickets) != 0 {
		t.Errorf("%d tickets without consent", len(tickets))
	}
}

func TestOutOfHoursGoesToVoicemailWithCallbackNextMorning(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.ConsentOnSilence = true
	loc := time.FixedZone("ICT", 7*3600)
	cfg.Hours, _ = ParseHours(DefaultHours, "", loc)
	saturdayNight := time.Date(2026, 3, 7, 21, 0, 0, 0, loc)
	start := time.Now()
	ts := startTestServerAt(t, cfg, func() time.Time { return saturdayNight.Add(time.Since(start)) })
	st := ts.recordSteps()

	p := newPhone(t, "0911222333")
	p.mustCall(ts.addr, "1022", "udp")
	p.press("11")           // land routes to an agent in hours; out of hours it must not queue
	st.wait(t, p, "record") // consent by staying on the line
	p.sendAudio(tone(500, 1, 7000))
	ts.waitRecorded(t, 700*time.Millisecond)
	p.press("#")
	if !p.waitHangup(10 * time.Second) {
		t.Fatal("no BYE")
	}
	tickets, _ := ts.store.Snapshot()
	if len(tickets) != 1 {
		t.Fatalf("%d tickets", len(tickets))
	}
	tk := tickets[0]
	monday := time.Date(2026, 3, 9, 7, 30, 0, 0, loc)
	if !tk.OutOfHours || tk.CallbackDue == nil || !tk.CallbackDue.Equal(monday) || tk.Consent != "silence" {
		t.Errorf("ticket out_of_hours=%v due=%v consent=%q; want due %v", tk.OutOfHours, tk.CallbackDue, tk.Consent, monday)
	}
	cdrs := ts.waitCDRs(t, 1)
	if !cdrs[0].OutOfHours || slices.Contains(cdrs[0].IVRPath, "queue") || !slices.Contains(cdrs[0].IVRPath, "out_of_hours") {
		t.Errorf("CDR = %+v", cdrs[0])
	}
}
