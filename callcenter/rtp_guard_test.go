package callcenter

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
)

// Attacks on the media path and on call admission, reproduced on loopback
// with callers, attackers and victims on their own 127.0.0.x addresses.

// listenAt opens a UDP socket on ip, closed at the end of the test (after
// its deferred server stop, so the server's BYEs are still answered).
func listenAt(t *testing.T, ip string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// portBlocks counts the RTP port bands testPortRange has handed out.
var portBlocks atomic.Int64

// testPortRange gives a test an RTP port band of its own: each call takes
// the next 1000-port block of 21000-29999 (below the kernel's ephemeral
// ports, 32768 up, where every other socket of the tests lands), at a
// random even place in it. Tests running in parallel in this binary never
// share a port, and parallel test binaries on the machine rarely do (a
// shared port is retried anyway). width is at most 998.
func testPortRange(width int) (int, int) {
	block := 21000 + 1000*int((portBlocks.Add(1)-1)%9)
	base := block + 2*rand.IntN((1000-width)/2)
	return base, base + width
}

// samePort opens a UDP socket on each address, both on the same port.
func samePort(t *testing.T, ipA, ipB string) (*net.UDPConn, *net.UDPConn) {
	t.Helper()
	for range 20 {
		a := listenAt(t, ipA)
		b, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ipB), Port: int(addrOf(a).Port())})
		if err == nil {
			t.Cleanup(func() { b.Close() })
			return a, b
		}
		a.Close()
	}
	t.Fatalf("no port free on both %s and %s", ipA, ipB)
	return nil, nil
}

// countPackets reads c until it is closed and counts what arrives.
func countPackets(c *net.UDPConn) *atomic.Int64 {
	var n atomic.Int64
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
			n.Add(1)
		}
	}()
	return &n
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rawCall is a caller speaking SIP as text from a socket of its own, so a
// test chooses the signalling address and the SDP independently.
type rawCall struct {
	t      *testing.T
	sig    *net.UDPConn
	server string
	callID string
	res    *sip.Response // final response to the INVITE
	answer mediaDesc     // the server's SDP (200 only)
	bye    chan struct{} // closed when the server's BYE arrives (answered 200)
}

// dialRaw sends an INVITE with sdp from sig and waits for the final
// response; a 200 is acknowledged and a reader then answers the server's BYE.
func dialRaw(t *testing.T, ts *testServer, sig *net.UDPConn, callID string, sdp []byte) *rawCall {
	t.Helper()
	rc := &rawCall{t: t, sig: sig, server: ts.addr, callID: callID, bye: make(chan struct{})}
	contact := "Contact: <sip:tester@" + sig.LocalAddr().String() + ">\r\nContent-Type: application/sdp\r\n"
	rc.write(rawInvite(sig, ts.addr, "1022", callID, contact, string(sdp)))
	buf := make([]byte, 8192)
	sig.SetReadDeadline(time.Now().Add(10 * time.Second))
	for rc.res == nil {
		n, err := sig.Read(buf)
		if err != nil {
			t.Fatalf("%s: no final response: %v", callID, err)
		}
		msg, err := sip.ParseMessage(buf[:n])
		if res, ok := msg.(*sip.Response); err == nil && ok && res.StatusCode >= 200 && res.CallID().Value() == callID {
			rc.res = res
		}
	}
	sig.SetReadDeadline(time.Time{})
	if rc.res.StatusCode != 200 {
		return rc
	}
	md, err := parseSDP(rc.res.Body())
	if err != nil {
		t.Fatalf("%s: answer SDP: %v", callID, err)
	}
	rc.answer = md
	rc.write(rc.inDialog("ACK", 1, "ack"))
	go rc.readLoop()
	return rc
}

func (rc *rawCall) write(msg string) {
	ua, _ := net.ResolveUDPAddr("udp", rc.server)
	if _, err := rc.sig.WriteToUDP([]byte(msg), ua); err != nil {
		rc.t.Errorf("%s: send: %v", rc.callID, err)
	}
}

// inDialog builds ACK or BYE for the established dialog.
func (rc *rawCall) inDialog(method string, cseq int, branch string) string {
	return fmt.Sprintf("%s %s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK%s%s\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:tester@127.0.0.1>;tag=t%s\r\n"+
		"To: %s\r\n"+
		"Call-ID: %s\r\n"+
		"CSeq: %d %s\r\n"+
		"Content-Length: 0\r\n\r\n",
		method, rc.res.Contact().Address.String(), rc.sig.LocalAddr().String(), branch, rc.callID,
		rc.callID, rc.res.To().Value(), rc.callID, cseq, method)
}

func (rc *rawCall) readLoop() {
	buf := make([]byte, 8192)
	for {
		n, from, err := rc.sig.ReadFromUDP(buf)
		if err != nil {
			return
		}
		msg, err := sip.ParseMessage(buf[:n])
		req, ok := msg.(*sip.Request)
		if err != nil || !ok || req.Method != sip.BYE {
			continue
		}
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		rc.sig.WriteToUDP([]byte(res.String()), from)
		select {
		case <-rc.bye:
		default:
			close(rc.bye)
		}
	}
}

// hangup sends our BYE; the server's 200 is not awaited.
func (rc *rawCall) hangup() { rc.write(rc.inDialog("BYE", 2, "bye")) }

// mediaPhone drives the harness phone's RTP sender and receiver on conn,
// sending to dst, without its SIP side.
func mediaPhone(t *testing.T, conn *net.UDPConn, dst netip.AddrPort) *phone {
	p := &phone{t: t, rtpConn: conn, codec: PCMU, dtmfPT: 101, pending: make(chan byte, 16), stop: make(chan struct{})}
	p.remote.Store(&dst)
	p.wg.Add(2)
	go p.sendLoop()
	go p.recvLoop()
	t.Cleanup(func() {
		close(p.stop)
		conn.Close()
		p.wg.Wait()
	})
	return p
}

func stepsOf(st *steps, callID string) []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.seen[callID])
}

func waitStepID(t *testing.T, st *steps, callID, step string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(stepsOf(st, callID), step) {
		if time.Now().After(deadline) {
			t.Fatalf("call never reached %q; steps: %v", step, stepsOf(st, callID))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sprayRTP sends, every 10 ms, an audio packet and an RFC 4733 event for key
// to every even port in [lo, hi] of 127.0.0.1, until stop closes; rounds
// counts the sweeps.
func sprayRTP(conn *net.UDPConn, lo, hi int, key byte, stop <-chan struct{}, rounds *atomic.Int64) {
	audio := PCMU.Encode(nil, tone(1000, 0.02, 8000))
	buf := make([]byte, 1500)
	var seq uint16
	var ts uint32
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		seq += 2
		ts += 800 // every sweep is a new key press
		for port := lo; port <= hi; port += 2 {
			dst := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
			for _, pkt := range []rtp.Packet{
				{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq, Timestamp: ts, SSRC: 66, Marker: true}, Payload: EncodeTelephoneEvent(key, false, 160)},
				{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq + 1, Timestamp: ts + 160, SSRC: 66}, Payload: audio},
			} {
				n, _ := pkt.MarshalTo(buf)
				conn.WriteToUDPAddrPort(buf[:n], dst)
			}
		}
		rounds.Add(1)
	}
}

// An attacker on another address sprays RTP with DTMF at the whole port
// range while a caller's IVR runs: it must hear nothing and steer nothing,
// and the caller's own keys must still work.
func TestRTPHijackFromAnotherAddressIgnored(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.RTPPortMin, cfg.RTPPortMax = testPortRange(40)
	cfg.DigitTimeout = 5 * time.Second // no default choice while the test runs
	ts := startTestServer(t, cfg)
	defer ts.stop()

	attacker := listenAt(t, "127.0.0.3")
	heardByAttacker := countPackets(attacker)
	stopSpray := make(chan struct{})
	defer close(stopSpray)
	var rounds atomic.Int64
	go sprayRTP(attacker, cfg.RTPPortMin, cfg.RTPPortMax, '2', stopSpray, &rounds)

	sig, media := listenAt(t, "127.0.0.2"), listenAt(t, "127.0.0.2")
	ap := addrOf(media)
	rc := dialRaw(t, ts, sig, "hijack-1", buildSDP(ap.Addr(), int(ap.Port()), 1, 1, []Codec{PCMU}, 101))
	if rc.res.StatusCode != 200 {
		t.Fatalf("INVITE: %d", rc.res.StatusCode)
	}
	port := int(rc.answer.Addr.Port())
	if port < cfg.RTPPortMin || port > cfg.RTPPortMax {
		t.Fatalf("RTP port %d outside %d-%d", port, cfg.RTPPortMin, cfg.RTPPortMax)
	}
	// Let the attacker get several sweeps in before the caller's first packet.
	waitStepID(t, ts.steps, rc.callID, "greeting")
	r0 := rounds.Load()
	waitFor(t, 5*time.Second, "attack sweeps", func() bool { return rounds.Load() >= r0+5 })

	caller := mediaPhone(t, media, rc.answer.Addr)
	caller.press("13") // Vietnamese, topic "other"
	waitStepID(t, ts.steps, rc.callID, "lang:1:vi")
	waitStepID(t, ts.steps, rc.callID, "topic:3:other")
	r1 := rounds.Load()
	waitFor(t, 5*time.Second, "attack sweeps", func() bool { return rounds.Load() >= r1+10 })

	for _, s := range stepsOf(ts.steps, rc.callID) {
		if strings.Contains(s, ":2:") {
			t.Errorf("the attacker's key drove the IVR: %v", stepsOf(ts.steps, rc.callID))
			break
		}
	}
	if n := heardByAttacker.Load(); n != 0 {
		t.Errorf("the attacker received %d RTP packets of the call", n)
	}
	waitFor(t, 10*time.Second, "the prompts at the caller", func() bool { return len(caller.received()) >= 4000 })
	if heard := caller.received(); rms(heard) < 300 {
		t.Errorf("the caller heard %d samples, rms %.0f", len(heard), rms(heard))
	}
	ts.stop()
	ts.waitCDRs(t, 1)
	if got := ts.metricValue(t, "doithoai_hotline_rtp_packets_total", map[string]string{"direction": "foreign"}); got < 10 {
		t.Errorf("foreign RTP counted %v, want the attacker's packets", got)
	}
}

// Ports are drawn at random from the range, so the next call's port cannot
// be guessed from the last one; a busy port is skipped until the range is
// really full.
func TestRTPPortsRandomWithinRange(t *testing.T) {
	t.Parallel()
	lo, _ := testPortRange(520) // the wide range below, then the small one
	hi := lo + 400
	p := rtpPorts{ip: netip.MustParseAddr("127.0.0.1"), min: lo, max: hi}
	var ports []int
	for range 20 {
		c, err := p.listen()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ports = append(ports, c.LocalAddr().(*net.UDPAddr).Port)
	}
	sequential := 0
	for i, port := range ports {
		if port%2 != 0 || port < lo || port > hi {
			t.Errorf("port %d: odd or outside %d-%d", port, lo, hi)
		}
		if i > 0 && port == ports[i-1]+2 {
			sequential++
		}
	}
	if sequential > 3 {
		t.Errorf("%d of 19 allocations took the next port: %v", sequential, ports)
	}

	small := rtpPorts{ip: netip.MustParseAddr("127.0.0.1"), min: lo + 500, max: lo + 518} // 10 ports
	var held []*net.UDPConn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	var err error
	for range 11 {
		var c *net.UDPConn
		if c, err = small.listen(); err != nil {
			break
		}
		held = append(held, c)
	}
	if len(held) < 8 || err == nil {
		t.Fatalf("filled %d of 10 ports, then err %v; want every free port, then an error", len(held), err)
	}
	last := held[len(held)-1]
	freed := last.LocalAddr().(*net.UDPAddr).Port
	last.Close()
	held = held[:len(held)-1]
	c, err := small.listen()
	if err != nil {
		t.Fatalf("the one free port %d was not found: %v", freed, err)
	}
	held = append(held, c)
	if got := c.LocalAddr().(*net.UDPAddr).Port; got != freed {
		t.Errorf("got port %d, want the freed %d", got, freed)
	}
}

// An INVITE from 127.0.0.2 names a victim at 127.0.0.4 in its SDP and never
// sends RTP: the victim gets nothing. Once RTP really arrives from the
// victim's address (a media server that is not the signalling host), the
// call latches and audio flows there.
func TestRTPNotReflectedToUnprovenAddress(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.RTPStartTimeout = 20 * time.Second
	cfg.DigitTimeout = 5 * time.Second
	ts := startTestServer(t, cfg)
	defer ts.stop()

	// The victim's port, and the same port on the caller's own address.
	victim, own := samePort(t, "127.0.0.4", "127.0.0.2")
	atVictim, atOwn := countPackets(victim), countPackets(own)

	sig := listenAt(t, "127.0.0.2")
	va := addrOf(victim)
	rc := dialRaw(t, ts, sig, "reflect-1", buildSDP(va.Addr(), int(va.Port()), 1, 1, []Codec{PCMU}, 101))
	if rc.res.StatusCode != 200 {
		t.Fatalf("INVITE: %d", rc.res.StatusCode)
	}
	waitStepID(t, ts.steps, rc.callID, "greeting")
	// Half a second of the call's media has been sent somewhere by now.
	waitFor(t, 10*time.Second, "media from the server", func() bool { return atOwn.Load() >= 25 || atVictim.Load() >= 25 })
	if n := atVictim.Load(); n != 0 {
		t.Fatalf("the victim named in the SDP received %d packets before sending any RTP", n)
	}

	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 1, Timestamp: 160, SSRC: 9},
		Payload: PCMU.Encode(nil, make([]int16, frameSamples))}).Marshal()
	if _, err := victim.WriteToUDPAddrPort(pkt, rc.answer.Addr); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "media at the proven address", func() bool { return atVictim.Load() >= 10 })
	before := atOwn.Load()
	n := atVictim.Load()
	waitFor(t, 5*time.Second, "more media at the proven address", func() bool { return atVictim.Load() >= n+10 })
	if moved := atOwn.Load() - before; moved > 2 {
		t.Errorf("after latching, %d packets still went to the signalling address", moved)
	}
}

// A source may hold only MaxCallsPerIP calls at once; another address, or
// a trusted trunk, is not affected, and a hung-up call frees its slot.
func TestCallsCappedPerSource(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.MaxCallsPerIP = 2
	cfg.TrustedSources = []netip.Prefix{netip.MustParsePrefix("127.0.0.7/32")}
	cfg.RTPStartTimeout = 30 * time.Second // these callers send no RTP
	cfg.DigitTimeout = 5 * time.Second
	ts := startTestServer(t, cfg)
	defer ts.stop()

	dial := func(ip, id string) *rawCall {
		sig, media := listenAt(t, ip), listenAt(t, ip)
		ap := addrOf(media)
		return dialRaw(t, ts, sig, id, buildSDP(ap.Addr(), int(ap.Port()), 1, 1, []Codec{PCMU}, 101))
	}
	var held []*rawCall
	for i := range 2 {
		rc := dial("127.0.0.5", fmt.Sprintf("cap-a%d", i))
		if rc.res.StatusCode != 200 {
			t.Fatalf("call %d from 127.0.0.5: %d", i+1, rc.res.StatusCode)
		}
		held = append(held, rc)
	}
	over := dial("127.0.0.5", "cap-a2")
	if over.res.StatusCode != 486 || over.res.GetHeader("Retry-After") == nil {
		t.Errorf("third call from 127.0.0.5: %d (Retry-After %v), want 486 with Retry-After", over.res.StatusCode, over.res.GetHeader("Retry-After"))
	}
	if rc := dial("127.0.0.6", "cap-b0"); rc.res.StatusCode != 200 {
		t.Errorf("call from 127.0.0.6: %d, want 200", rc.res.StatusCode)
	}
	for i := range 3 {
		if rc := dial("127.0.0.7", fmt.Sprintf("cap-t%d", i)); rc.res.StatusCode != 200 {
			t.Errorf("call %d from the trusted 127.0.0.7: %d, want 200", i+1, rc.res.StatusCode)
		}
	}
	if got := ts.metricValue(t, "doithoai_hotline_sip_rejected_total", map[string]string{"reason": "per_source"}); got != 1 {
		t.Errorf("per_source rejections %v, want 1", got)
	}
	held[0].hangup()
	ts.waitCDRs(t, 1)
	if rc := dial("127.0.0.5", "cap-a3"); rc.res.StatusCode != 200 {
		t.Errorf("call from 127.0.0.5 after one hung up: %d, want 200", rc.res.StatusCode)
	}
}

// A call that never sends a single RTP packet is hung up after
// RTPStartTimeout, long before the mid-call RTPTimeout.
func TestCallWithoutRTPHungUp(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.RTPStartTimeout = time.Second
	cfg.RTPTimeout = 20 * time.Second
	cfg.DigitTimeout = 5 * time.Second
	ts := startTestServer(t, cfg)
	defer ts.stop()

	sig, media := listenAt(t, "127.0.0.2"), listenAt(t, "127.0.0.2")
	ap := addrOf(media)
	rc := dialRaw(t, ts, sig, "silent-1", buildSDP(ap.Addr(), int(ap.Port()), 1, 1, []Codec{PCMU}, 101))
	if rc.res.StatusCode != 200 {
		t.Fatalf("INVITE: %d", rc.res.StatusCode)
	}
	start := time.Now()
	select {
	case <-rc.bye:
	case <-time.After(8 * time.Second):
		t.Fatal("no BYE for a call that never sent RTP")
	}
	if el := time.Since(start); el < 700*time.Millisecond {
		t.Errorf("hung up after %v, before the 1s start timeout", el)
	}
	cdrs := ts.waitCDRs(t, 1)
	if cdrs[0].HangupCause != "no_rtp" || cdrs[0].RTPReceived != 0 {
		t.Errorf("CDR hangup %q, %d packets received; want no_rtp, 0", cdrs[0].HangupCause, cdrs[0].RTPReceived)
	}
}
