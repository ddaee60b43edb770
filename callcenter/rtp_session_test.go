package callcenter

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func listenLoopback(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func addrOf(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

func TestRTPSessionPacedPlayback(t *testing.T) {
	t.Parallel()
	peer := listenLoopback(t)
	defer peer.Close()
	s := newRTPSession(listenLoopback(t), PCMA, 101, addrOf(peer).Addr(), rtpTimeouts{start: 5 * time.Second, silence: 5 * time.Second})
	s.setRemote(addrOf(peer))
	s.start()
	defer s.closeSession()

	p := newPlayout(tone(440, 0.2, 8000)) // 10 frames
	s.setSource(p)
	buf := make([]byte, 1500)
	var arrivals []time.Time
	var pkts []rtp.Packet
	peer.SetReadDeadline(time.Now().Add(2 * time.Second))
	for len(pkts) < 15 {
		n, err := peer.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		var pkt rtp.Packet
		if err := pkt.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
			t.Fatal(err)
		}
		arrivals = append(arrivals, time.Now())
		pkts = append(pkts, pkt)
	}
	select {
	case <-p.done:
	case <-time.After(time.Second):
		t.Fatal("playout never finished")
	}
	for i := 1; i < len(pkts); i++ {
		// Sequence numbers are contiguous; timestamps advance a frame at a
		// time, or several when the sender was held up past 100 ms (it keeps
		// the RTP clock on real time, as receivers expect) — the machine's
		// load, not a fault.
		dts := pkts[i].Timestamp - pkts[i-1].Timestamp
		if pkts[i].SequenceNumber != pkts[i-1].SequenceNumber+1 || dts == 0 || dts%160 != 0 {
			t.Fatalf("packet %d: seq %d→%d, ts +%d", i, pkts[i-1].SequenceNumber, pkts[i].SequenceNumber, dts)
		}
		if pkts[i].PayloadType != 8 || len(pkts[i].Payload) != 160 {
			t.Fatalf("packet %d: pt %d len %d", i, pkts[i].PayloadType, len(pkts[i].Payload))
		}
	}
	// Paced on the RTP clock: 14 intervals of 20 ms (more when frames were
	// skipped). A sender held up less than 100 ms catches up in a burst,
	// and a reader held up reads a burst, so on a loaded machine the
	// packets can arrive well inside the span (173 ms seen); unpaced they
	// would all arrive within a few milliseconds. Generous slack above
	// under -race.
	span := time.Duration(pkts[14].Timestamp-pkts[0].Timestamp) * time.Second / sampleRate
	if el := arrivals[14].Sub(arrivals[0]); el < 100*time.Millisecond || el > span+520*time.Millisecond {
		t.Errorf("15 packets took %v, want ≈%v", el, span)
	}
	// the tone is audible in the first frames, then silence follows.
	if r := rms(PCMA.Decode(nil, pkts[1].Payload)); r < 2000 {
		t.Errorf("tone frame rms %.0f", r)
	}
	if r := rms(PCMA.Decode(nil, pkts[14].Payload)); r > 50 {
		t.Errorf("after playout rms %.0f, want silence", r)
	}
}

func TestRTPSessionReceiveDTMFAndTimeout(t *testing.T) {
	t.Parallel()
	peer := listenLoopback(t)
	defer peer.Close()
	var mu sync.Mutex
	var digits []byte
	var got []int16
	s := newRTPSession(listenLoopback(t), PCMU, 101, addrOf(peer).Addr(), rtpTimeouts{start: time.Second, silence: 300 * time.Millisecond})
	s.setRemote(addrOf(peer))
	s.onDigit = func(d byte) { mu.Lock(); digits = append(digits, d); mu.Unlock() }
	s.setSink(func(pcm []int16) { mu.Lock(); got = append(got, pcm...); mu.Unlock() })
	s.start()
	defer s.closeSession()

	dst := net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(s.localPort())))
	send := func(pt uint8, seq uint16, ts uint32, payload []byte) {
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: 1}, Payload: payload}).Marshal()
		if _, err := peer.WriteToUDP(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	audio := PCMU.Encode(nil, tone(440, 0.02, 8000))
	send(0, 1, 0, audio)
	send(101, 2, 160, EncodeTelephoneEvent('7', false, 160))
	send(101, 3, 160, EncodeTelephoneEvent('7', true, 320))
	send(101, 4, 160, EncodeTelephoneEvent('7', true, 320))
	send(0, 6, 800, audio) // seq 5 lost; timestamps say 640 samples are missing

	// Poll until the session has taken in all five packets (and what they
	// carry); then the figures must be exact.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		done := s.stats.rxPackets.Load() == 5 && len(got) >= 960 && len(digits) >= 1
		mu.Unlock()
		if done {
			break
		}
	}
	mu.Lock()
	if string(digits) != "7" {
		t.Errorf("digits %q, want 7", digits)
	}
	if len(got) != 960 {
		t.Errorf("received %d samples, want 960 (2 frames + 640 gap filler)", len(got))
	}
	mu.Unlock()
	if s.stats.rxLost.Load() != 1 || s.stats.rxPackets.Load() != 5 {
		t.Errorf("stats rx %d lost %d", s.stats.rxPackets.Load(), s.stats.rxLost.Load())
	}
	select {
	case <-s.Dead():
	case <-time.After(2 * time.Second):
		t.Fatal("RTP timeout not detected")
	}
}

// The rule both call legs follow: media only from the peer's signalling or
// SDP IP (on any port until the first packet latches one), and nothing sent
// to an SDP address other than the signalling IP before it has sent RTP.
func TestRTPSessionAcceptsOnlyPeerAddresses(t *testing.T) {
	t.Parallel()
	media, signal := samePort(t, "127.0.0.4", "127.0.0.2") // the SDP port on the SDP and the signalling IP
	other, foreign := listenAt(t, "127.0.0.2"), listenAt(t, "127.0.0.3")
	atSignal, atOther, atMedia, atForeign := countPackets(signal), countPackets(other), countPackets(media), countPackets(foreign)
	var mu sync.Mutex
	var digits []byte
	s := newRTPSession(listenLoopback(t), PCMU, 101, addrOf(signal).Addr(), rtpTimeouts{start: 10 * time.Second, silence: 10 * time.Second})
	s.onDigit = func(d byte) { mu.Lock(); digits = append(digits, d); mu.Unlock() }
	s.setRemote(addrOf(media)) // SDP names 127.0.0.4, SIP came from 127.0.0.2
	s.start()
	defer s.closeSession()
	dst := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(s.localPort()))
	seq := uint16(0)
	send := func(from *net.UDPConn, key byte) {
		seq++
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq, Timestamp: uint32(seq) * 800, SSRC: 1},
			Payload: EncodeTelephoneEvent(key, false, 160)}).Marshal()
		if _, err := from.WriteToUDPAddrPort(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	got := func() string { mu.Lock(); defer mu.Unlock(); return string(digits) }

	waitFor(t, 5*time.Second, "media to the signalling IP", func() bool { return atSignal.Load() >= 5 })
	send(foreign, '5')
	waitFor(t, 5*time.Second, "the foreign packet counted", func() bool { return s.stats.rxForeign.Load() == 1 })
	send(other, '7') // the caller's IP, another port (NAT): latches there
	waitFor(t, 5*time.Second, "the caller's key", func() bool { return got() != "" })
	waitFor(t, 5*time.Second, "media at the latched port", func() bool { return atOther.Load() >= 5 })
	send(signal, '8') // after latching, another port is dropped too
	send(other, '9')
	waitFor(t, 5*time.Second, "the second key", func() bool { return len(got()) >= 2 })
	if got() != "79" || s.stats.rxPackets.Load() != 2 || s.stats.rxForeign.Load() != 2 {
		t.Errorf("digits %q, %d accepted, %d foreign; want 79, 2, 2", got(), s.stats.rxPackets.Load(), s.stats.rxForeign.Load())
	}
	if n, m := atMedia.Load(), atForeign.Load(); n != 0 || m != 0 {
		t.Errorf("sent %d packets to the unproven SDP address and %d to the foreign one", n, m)
	}
}

// No packet at all after start ends the session with errNoRTP at the start
// timeout, not the (longer) silence timeout.
func TestRTPSessionStartTimeout(t *testing.T) {
	t.Parallel()
	s := newRTPSession(listenLoopback(t), PCMU, 101, netip.MustParseAddr("127.0.0.1"), rtpTimeouts{start: 300 * time.Millisecond, silence: time.Minute})
	s.start()
	defer s.closeSession()
	select {
	case <-s.Dead():
	case <-time.After(5 * time.Second):
		t.Fatal("start timeout not detected")
	}
	if !errors.Is(s.deadCause(), errNoRTP) {
		t.Errorf("cause %v, want errNoRTP", s.deadCause())
	}
}

// The shared send clock: sessions taken off it in any order leave the
// others paced and contiguous (the swap-remove keeps its index right), and
// a closed session is on no shard any more, so nothing writes to its
// socket once closeSession returns.
func TestRTPClockRemoveKeepsOthersSending(t *testing.T) {
	t.Parallel()
	const n = 8
	peers := make([]*net.UDPConn, n)
	sessions := make([]*rtpSession, n)
	for i := range n {
		peers[i] = listenLoopback(t)
		defer peers[i].Close()
		sessions[i] = newRTPSession(listenLoopback(t), PCMU, 101, addrOf(peers[i]).Addr(), rtpTimeouts{start: 5 * time.Second, silence: 5 * time.Second})
		sessions[i].setRemote(addrOf(peers[i]))
		sessions[i].start()
		defer sessions[i].closeSession()
	}
	// read waits for k more packets on peer i and checks they are contiguous.
	read := func(i, k int) {
		t.Helper()
		buf := make([]byte, 1500)
		var last uint16
		peers[i].SetReadDeadline(time.Now().Add(5 * time.Second))
		for j := range k {
			m, err := peers[i].Read(buf)
			if err != nil {
				t.Fatalf("session %d, packet %d: %v", i, j, err)
			}
			var pkt rtp.Packet
			if err := pkt.Unmarshal(buf[:m]); err != nil {
				t.Fatal(err)
			}
			if j > 0 && pkt.SequenceNumber != last+1 {
				t.Fatalf("session %d: seq %d after %d", i, pkt.SequenceNumber, last)
			}
			last = pkt.SequenceNumber
		}
	}
	for i := range n {
		read(i, 3)
	}
	// Take off the first, the last and two in the middle.
	for _, i := range []int{0, n - 1, 3, 4} {
		sessions[i].closeSession()
		if sessions[i].clockIdx != -1 {
			t.Fatalf("session %d still has clock index %d", i, sessions[i].clockIdx)
		}
	}
	for _, sh := range sendClock.shards {
		sh.mu.Lock()
		for j, s := range sh.sessions {
			if s.clockIdx != j {
				t.Errorf("a session at %d believes it is at %d", j, s.clockIdx)
			}
			for _, i := range []int{0, n - 1, 3, 4} {
				if s == sessions[i] {
					t.Errorf("closed session %d is still on the clock", i)
				}
			}
		}
		sh.mu.Unlock()
	}
	for _, i := range []int{1, 2, 5, 6} {
		// Drain what was queued before the removals, then 10 more in order.
		peers[i].SetReadDeadline(time.Now())
		for buf := make([]byte, 1500); ; {
			if _, err := peers[i].Read(buf); err != nil {
				break
			}
		}
		read(i, 10)
	}
}
