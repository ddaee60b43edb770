package callcenter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// rawUDP sends a SIP message as text and returns the first final status
// code that comes back for its Call-ID (0 if none within wait). Answers to
// other calls are skipped: the server retransmits a final answer to an
// INVITE until an ACK that raw tests never send.
func rawUDP(t *testing.T, conn *net.UDPConn, addr string, msg string, wait time.Duration) int {
	t.Helper()
	ua, _ := net.ResolveUDPAddr("udp", addr)
	if _, err := conn.WriteToUDP([]byte(msg), ua); err != nil {
		t.Fatal(err)
	}
	id := rawCallID(msg)
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(wait))
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return 0
		}
		var code int
		if _, err := fmt.Sscanf(string(buf[:n]), "SIP/2.0 %d", &code); err == nil && code >= 200 && rawCallID(string(buf[:n])) == id {
			return code
		}
	}
}

// rawCallID is a SIP message's Call-ID ("" if it has none).
func rawCallID(msg string) string {
	for _, line := range strings.Split(msg, "\r\n") {
		if id, ok := strings.CutPrefix(line, "Call-ID: "); ok {
			return strings.TrimSpace(id)
		}
	}
	return ""
}

// finalStatuses reads conn until n calls have a final status, or wait
// passes, and returns each call's first final status by Call-ID.
func finalStatuses(t *testing.T, conn *net.UDPConn, n int, wait time.Duration) map[string]int {
	t.Helper()
	got := map[string]int{}
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(wait))
	defer conn.SetReadDeadline(time.Time{})
	for len(got) < n {
		m, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("final answers to %d of %d requests: %v (%v)", len(got), n, got, err)
		}
		msg := string(buf[:m])
		var code int
		if _, err := fmt.Sscanf(msg, "SIP/2.0 %d", &code); err != nil || code < 200 {
			continue
		}
		if id := rawCallID(msg); id != "" {
			if _, seen := got[id]; !seen {
				got[id] = code
			}
		}
	}
	return got
}

func rawInvite(conn *net.UDPConn, addr, number, callID string, extra string, body string) string {
	local := conn.LocalAddr().String()
	return fmt.Sprintf("INVITE sip:%s@%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK%s\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:tester@127.0.0.1>;tag=t%s\r\n"+
		"To: <sip:%s@%s>\r\n"+
		"Call-ID: %s\r\n"+
		"CSeq: 1 INVITE\r\n"+
		"%s"+
		"Content-Length: %d\r\n\r\n%s", number, addr, local, callID, callID, number, addr, callID, extra, len(body), body)
}

func TestRequestsRejected(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	ts := startTestServer(t, cfg)
	conn := listenLoopback(t)
	defer conn.Close()
	sdp := string(buildSDP(addrOf(conn).Addr(), 40000, 1, 1, []Codec{PCMU}, 101))
	contact := "Contact: <sip:tester@" + conn.LocalAddr().String() + ">\r\n"

	// Garbage is dropped without taking the server down.
	rawUDP(t, conn, ts.addr, "\x16\x03\x01 not sip at all\r\n\r\n", 200*time.Millisecond)
	rawUDP(t, conn, ts.addr, "INVITE sip:1022@x SIP/2.0\r\nVia: broken\r\n\r\n", 200*time.Millisecond)

	for _, tc := range []struct {
		name, number, extra, body string
		want                      int
	}{
		{"UnknownNumber", "9999", contact + "Content-Type: application/sdp\r\n", sdp, 404},
		{"NoContact", "1022", "Content-Type: application/sdp\r\n", sdp, 400},
		{"WrongContentType", "1022", contact + "Content-Type: text/plain\r\n", "hello", 415},
		{"NoCommonCodec", "1022", contact + "Content-Type: application/sdp\r\n", strings.ReplaceAll(sdp, "RTP/AVP 0 101", "RTP/AVP 18"), 488},
		{"UnsupportedExtension", "1022", contact + "Require: 100rel\r\nContent-Type: application/sdp\r\n", sdp, 420},
		{"TooManyHops", "1022", contact + "Content-Type: application/sdp\r\n", sdp, 0}, // Max-Forwards replaced below
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := rawInvite(conn, ts.addr, tc.number, "rej-"+tc.name, tc.extra, tc.body)
			want := tc.want
			if tc.name == "TooManyHops" {
				msg = strings.Replace(msg, "Max-Forwards: 70", "Max-Forwards: 0", 1)
				want = 483
			}
			if got := rawUDP(t, conn, ts.addr, msg, 2*time.Second); got != want {
				t.Errorf("status %d, want %d", got, want)
			}
		})
	}
	// Still serving after all that.
	opts := "OPTIONS sip:1022@" + ts.addr + " SIP/2.0\r\nVia: SIP/2.0/UDP " + conn.LocalAddr().String() +
		";branch=z9hG4bKopt1\r\nFrom: <sip:t@x>;tag=1\r\nTo: <sip:1022@x>\r\nCall-ID: opt1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	if got := rawUDP(t, conn, ts.addr, opts, 2*time.Second); got != 200 {
		t.Errorf("OPTIONS: %d, want 200", got)
	}
	_, cdrs := ts.store.Snapshot()
	if len(cdrs) != 0 {
		t.Errorf("%d CDRs for refused INVITEs", len(cdrs))
	}
}

func TestInviteFloodLimitedPerSource(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.InviteRate, cfg.InviteBurst = 2, 3
	ts := startTestServer(t, cfg)
	conn := listenLoopback(t)
	defer conn.Close()
	// The flood goes out at once, then every INVITE's answer is read by
	// its Call-ID. One at a time, a loaded machine spaced them enough for
	// the bucket to refill, and a 404 retransmitted (no ACK comes) was
	// taken for the next INVITE's answer.
	ua, _ := net.ResolveUDPAddr("udp", ts.addr)
	for i := range 12 {
		// Unknown number: allowed INVITEs get 404, limited ones 503.
		if _, err := conn.WriteToUDP([]byte(rawInvite(conn, ts.addr, "9999", fmt.Sprintf("flood%d", i), "Contact: <sip:x@127.0.0.1>\r\n", "")), ua); err != nil {
			t.Fatal(err)
		}
	}
	answers := finalStatuses(t, conn, 12, 10*time.Second)
	codes := map[int]int{}
	for _, code := range answers {
		codes[code]++
	}
	if codes[503] < 8 || codes[404] < 3 || codes[404] > 4 {
		t.Errorf("status counts %v: want 3-4×404 then 503", codes)
	}
	if got := ts.metricValue(t, "doithoai_hotline_sip_rejected_total", map[string]string{"reason": "rate_limited"}); got != float64(codes[503]) {
		t.Errorf("rate_limited metric %v, want %d", got, codes[503])
	}
	// A caller from another address is not affected.
	other, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if got := rawUDP(t, other, ts.addr, rawInvite(other, ts.addr, "9999", "other1", "Contact: <sip:x@127.0.0.2>\r\n", ""), time.Second); got != 404 {
		t.Errorf("other source: %d, want 404", got)
	}
}

func TestConcurrentCallCap(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.MaxCalls = 2
	ts := startTestServer(t, cfg)
	for i := range 2 {
		p := newPhone(t, fmt.Sprintf("09%d", i))
		p.mustCall(ts.addr, "1022", "udp")
	}
	p := newPhone(t, "0933")
	res, err := p.call(ts.addr, "1022", "udp")
	var code int
	if res != nil {
		code = res.StatusCode
	}
	if err == nil || code != 486 {
		t.Fatalf("third call: err %v status %d, want 486", err, code)
	}
	if got := ts.metricValue(t, "doithoai_hotline_calls_active", nil); got != 2 {
		t.Errorf("calls_active %v, want 2", got)
	}
	if got := ts.metricValue(t, "doithoai_hotline_sip_rejected_total", map[string]string{"reason": "busy"}); got != 1 {
		t.Errorf("busy metric %v, want 1", got)
	}
}

func TestRTPTimeoutHangsUp(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.RTPTimeout = time.Second
	cfg.DigitTimeout = 5 * time.Second // the IVR would otherwise move on by itself
	ts := startTestServer(t, cfg)
	p := newPhone(t, "0944")
	p.mustCall(ts.addr, "1022", "udp")
	ts.waitRTPIn(t, p, 5)
	p.paused.Store(true)
	start := time.Now()
	if !p.waitHangup(4 * time.Second) {
		t.Fatal("no BYE after RTP stopped")
	}
	if el := time.Since(start); el < 600*time.Millisecond {
		t.Errorf("hung up after %v, before the 1s timeout", el)
	}
	cdrs := ts.waitCDRs(t, 1)
	if cdrs[0].HangupCause != "rtp_timeout" || cdrs[0].Outcome != OutcomeAbandoned {
		t.Errorf("CDR = %+v", cdrs[0])
	}
}

func TestShutdownHangsUpAndKeepsRecording(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	// The grace is not what this test is about: on a loaded machine the
	// call could outlive the default 5 s and shutdown would close the
	// sockets before its BYE and ticket (the flake seen under load).
	cfg.ShutdownGrace = 30 * time.Second
	ts := startTestServer(t, cfg)
	st := ts.recordSteps()
	p := newPhone(t, "0955")
	p.mustCall(ts.addr, "1022", "udp")
	p.press("11")
	st.wait(t, p, "queue:no_agents")
	p.press("5")
	st.wait(t, p, "record")
	p.sendAudio(tone(440, 1, 7000))
	ts.waitRecorded(t, 900*time.Millisecond)
	ts.stop() // returns once every call has ended: BYE sent, ticket stored
	if !p.waitHangup(10 * time.Second) {
		t.Fatal("caller not hung up at shutdown")
	}
	tickets, cdrs := ts.store.Snapshot()
	if len(tickets) != 1 || len(cdrs) != 1 {
		t.Fatalf("%d tickets, %d CDRs; want 1, 1", len(tickets), len(cdrs))
	}
	if !slices.Contains(cdrs[0].IVRPath, "record_end:shutdown") || cdrs[0].HangupCause != "shutdown" {
		t.Errorf("CDR = %+v", cdrs[0])
	}
	samples, err := readWAVFile(filepath.Join(cfg.DataDir, tickets[0].RecordingPath))
	if err != nil || len(samples) < sampleRate*8/10 || rms(samples) < 2000 {
		t.Errorf("recording: %v, %d samples, rms %.0f", err, len(samples), rms(samples))
	}
	if parts, _ := filepath.Glob(filepath.Join(cfg.DataDir, "recordings", "hotline", "*", "*", "*", "*.part")); len(parts) != 0 {
		t.Errorf("unfinished recordings left: %v", parts)
	}
	// New calls are refused once shutting down (the listener is gone).
	if _, err := os.Stat(cfg.DataDir); err != nil {
		t.Fatal(err)
	}
}

func TestCancelBeforeAnswer(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.RingTime = 3 * time.Second
	ts := startTestServer(t, cfg)
	p := newPhone(t, "0966")
	uri := sip.Uri{Scheme: "sip", User: "1022", Host: "127.0.0.1", Port: ts.e.sipPort}
	ctx, cancel := context.WithCancel(context.Background())
	dlg, err := p.dc.Invite(ctx, uri, p.offer(), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(500*time.Millisecond, cancel)
	err = dlg.WaitAnswer(ctx, sipgoAnswer())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitAnswer: %v, want canceled", err)
	}
	if dlg.InviteResponse == nil || dlg.InviteResponse.StatusCode != 487 {
		t.Errorf("final response %v, want 487", dlg.InviteResponse)
	}
	cdrs := ts.waitCDRs(t, 1)
	if cdrs[0].HangupCause != "cancel" || cdrs[0].Outcome != OutcomeAbandoned || cdrs[0].AnsweredAt != nil {
		t.Errorf("CDR = %+v", cdrs[0])
	}
}

func TestReInviteMovesMedia(t *testing.T) {
	t.Parallel()
	ts := startTestServer(t, testConfig(t))
	p := newPhone(t, "0977")
	p.mustCall(ts.addr, "1022", "udp")
	ts.waitRTPIn(t, p, 5)
	// The phone moves its media: its old socket falls silent, and the
	// server reads all it sent from there before the re-INVITE. (Pausing
	// after the re-INVITE let a packet from the old socket, read after it,
	// latch the media back there: symmetric RTP, seen under load.)
	p.paused.Store(true)
	waitFor(t, 10*time.Second, "the phone's old socket silent and read", func() bool { return p.quiet.Load() && ts.rtpIn(p) >= p.sent.Load() })
	// Move our media to a new socket with a re-INVITE.
	moved := listenLoopback(t)
	defer moved.Close()
	ap := addrOf(moved)
	req := sip.NewRequest(sip.INVITE, p.dlg.InviteResponse.Contact().Address)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(buildSDP(ap.Addr(), int(ap.Port()), 1, 2, []Codec{PCMU}, 101))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.dlg.Do(ctx, req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("re-INVITE: %v %v", err, res)
	}
	if _, err := parseSDP(res.Body()); err != nil {
		t.Fatalf("re-INVITE answer: %v", err)
	}
	ack := sip.NewRequest(sip.ACK, p.dlg.InviteResponse.Contact().Address)
	if err := p.dlg.WriteRequest(ack); err != nil {
		t.Fatal(err)
	}
	// The server now sends to the new address the re-INVITE set.
	moved.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	if _, err := moved.Read(buf); err != nil {
		t.Fatalf("no RTP at the new address: %v", err)
	}
}

func TestLateOfferAnswerInACK(t *testing.T) {
	t.Parallel()
	ts := startTestServer(t, testConfig(t))
	p := newPhone(t, "0988")
	uri := sip.Uri{Scheme: "sip", User: "1022", Host: "127.0.0.1", Port: ts.e.sipPort}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	dlg, err := p.dc.Invite(ctx, uri, nil) // no SDP: the server must offer
	if err != nil {
		t.Fatal(err)
	}
	p.dlg = dlg
	if err := dlg.WaitAnswer(ctx, sipgoAnswer()); err != nil {
		t.Fatal(err)
	}
	offer, err := parseSDP(dlg.InviteResponse.Body())
	if err != nil || offer.DTMFPT != telephoneEventPT || len(offer.Codecs) != 2 {
		t.Fatalf("server offer %+v: %v", offer, err)
	}
	p.codec = PCMA // answer with the second codec offered
	ack := sip.NewRequest(sip.ACK, dlg.InviteResponse.Contact().Address)
	ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ack.SetBody(p.offer())
	if err := dlg.WriteAck(ctx, ack); err != nil {
		t.Fatal(err)
	}
	p.remote.Store(&offer.Addr)
	p.wg.Add(2)
	go p.sendLoop()
	go p.recvLoop()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		heard := p.received()
		if len(heard) >= 1600 && rms(heard) >= 300 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no greeting after a late offer: %d samples rms %.0f", len(heard), rms(heard))
		}
	}
	p.press("2")
	ts.steps.wait(t, p, "lang:2:en") // our RFC 4733 reached the server at the address from the ACK
}
