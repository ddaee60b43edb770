package callcenter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/prometheus/client_golang/prometheus"
)

// testLog is quiet unless HOTLINE_TEST_LOG is set.
func testLog() *slog.Logger {
	if os.Getenv("HOTLINE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func init() { sip.SetDefaultLogger(testLog()) }

// Test prompts are short tones at promptFreq so IVR tests run in seconds
// and a phone can tell prompts from bridged audio.
const promptFreq = 600

func writeTestPrompts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, lang := range []string{"vi", "en"} {
		if err := os.MkdirAll(filepath.Join(dir, lang), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range PromptNames() {
			secs := 0.1
			if len(name) == len("digit_0") && name[:6] == "digit_" {
				secs = 0.04
			}
			if err := os.WriteFile(filepath.Join(dir, lang, name+".wav"), EncodeWAV(tone(promptFreq, secs, 6000)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

type testServer struct {
	e      *engine
	store  *MemoryStore
	addr   string // 127.0.0.1:port for UDP and TCP
	cancel context.CancelFunc
	done   chan error
	reg    *prometheus.Registry
	steps  *steps
	// recordings receives every voicemail recording as it starts.
	recordings chan *recording

	stopOnce sync.Once
}

// installRecordings hands every recording the engine starts to
// ts.recordings (call before the engine serves).
func (ts *testServer) installRecordings() {
	ts.recordings = make(chan *recording, 16)
	ts.e.onRecording = func(r *recording) {
		select {
		case ts.recordings <- r:
		default:
		}
	}
}

// waitRecorded waits for the next voicemail recording to hold at least d of
// audio, polling its sample count with a deadline.
func (ts *testServer) waitRecorded(t *testing.T, d time.Duration) {
	t.Helper()
	var rec *recording
	select {
	case rec = <-ts.recordings:
	case <-time.After(10 * time.Second):
		t.Fatal("no recording started")
	}
	for deadline := time.Now().Add(10 * time.Second); rec.duration() < d; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("recorded %v, want %v", rec.duration(), d)
		}
	}
}

func testConfig(t *testing.T) Config {
	h, _ := ParseHours("always", "", time.UTC)
	return Config{
		SIPAddr:          "127.0.0.1:0",
		HotlineNumbers:   []string{"1022", "1080"},
		DataDir:          t.TempDir(),
		PromptsDir:       writeTestPrompts(t),
		MaxCalls:         50,
		InviteRate:       1000,
		InviteBurst:      1000,
		RegisterRate:     1000,
		RegisterBurst:    1000,
		RTPTimeout:       3 * time.Second,
		DigitTimeout:     400 * time.Millisecond,
		MenuRetries:      1,
		AgentWait:        3 * time.Second,
		AgentRingTimeout: 2 * time.Second,
		VoicemailMax:     6 * time.Second,
		VoicemailMin:     200 * time.Millisecond,
		Hours:            h,
		DefaultLanguage:  "vi",
		ShutdownGrace:    5 * time.Second,
	}
}

func startTestServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	return startTestServerAt(t, cfg, nil)
}

// startTestServerAt runs the engine with a clock of its own (nil: real time).
func startTestServerAt(t *testing.T, cfg Config, now func() time.Time) *testServer {
	t.Helper()
	return startTestServerWith(t, cfg, func(d *engineDeps) { d.now = now })
}

// startTestServerWith runs the engine with deps adjusted by with.
func startTestServerWith(t *testing.T, cfg Config, with func(*engineDeps)) *testServer {
	t.Helper()
	store := NewMemoryStore()
	if cfg.blobs == nil {
		cfg.blobs = dirBlobs{root: cfg.DataDir}
	}
	var e *engine
	var reg *prometheus.Registry
	for attempt := 0; ; attempt++ {
		reg = prometheus.NewRegistry()
		var err error
		d := engineDeps{store: store, dir: store, src: store, log: testLog(), reg: reg}
		with(&d)
		if e, err = newEngine(cfg, d); err != nil {
			t.Fatal(err)
		}
		err = e.listen()
		if err == nil {
			break
		}
		e.ua.Close()
		// With port 0 the kernel picks the UDP port; on a busy machine its
		// TCP twin can be held by another process's socket in TIME_WAIT.
		if attempt == 10 || !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{e: e, store: store, addr: fmt.Sprintf("127.0.0.1:%d", e.sipPort), cancel: cancel, done: make(chan error, 1), reg: reg}
	ts.steps = ts.installSteps()
	ts.installRecordings()
	go func() { ts.done <- e.serve(ctx) }()
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) stop() {
	ts.stopOnce.Do(func() {
		ts.cancel()
		select {
		case <-ts.done:
		case <-time.After(ts.e.cfg.ShutdownGrace + 10*time.Second):
			panic("test server did not stop")
		}
	})
}

// waitCDRs polls until the store holds n CDRs.
func (ts *testServer) waitCDRs(t *testing.T, n int) []CDR {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, cdrs := ts.store.Snapshot()
		if len(cdrs) >= n {
			return cdrs
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d CDRs, want %d", len(cdrs), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// phone is a test SIP user agent with a real RTP stream on loopback.
type phone struct {
	t      *testing.T
	ua     *sipgo.UserAgent
	client *sipgo.Client
	srv    *sipgo.Server
	dc     *sipgo.DialogClientCache
	dlg    *sipgo.DialogClientSession

	rtpConn *net.UDPConn
	remote  atomic.Pointer[netip.AddrPort]
	codec   Codec
	dtmfPT  int

	source  atomic.Pointer[[]int16] // looped audio to send; nil: silence
	pending chan byte               // RFC 4733 digits for the sender
	paused  atomic.Bool             // stop sending RTP (timeout tests)
	late    atomic.Int64            // the most the sender fell behind the clock (a time.Duration)
	quiet   atomic.Bool             // the sender has seen paused: nothing more goes out
	sent    atomic.Uint64           // RTP packets sent

	mu       sync.Mutex
	rx       []int16     // decoded audio from the server
	rxTimes  []time.Time // arrival of each packet
	rxSeqGap int

	listenPort int                             // agent phones: SIP listener
	invites    chan *sipgo.DialogServerSession // agent phones: answered calls

	stop chan struct{}
	wg   sync.WaitGroup
}

func newPhone(t *testing.T, user string) *phone {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(user), sipgo.WithUserAgentHostname("127.0.0.1"),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(testLog())))
	if err != nil {
		t.Fatal(err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientLogger(testLog()))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(testLog()))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &phone{t: t, ua: ua, client: client, srv: srv, rtpConn: conn, codec: PCMU, dtmfPT: 101,
		pending: make(chan byte, 16), stop: make(chan struct{})}
	p.dc = sipgo.NewDialogClientCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1"}})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := p.dc.ReadBye(req, tx); err != nil {
			tx.Respond(sip.NewResponseFromRequest(req, 481, "No dialog", nil))
		}
	})
	t.Cleanup(p.close)
	return p
}

func (p *phone) close() {
	select {
	case <-p.stop:
		return
	default:
	}
	if p.dlg != nil && p.dlg.LoadState() != sip.DialogStateEnded {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		p.dlg.Bye(ctx)
		cancel()
	}
	close(p.stop)
	p.rtpConn.Close()
	p.wg.Wait()
	p.ua.Close()
}

func (p *phone) offer() []byte {
	ap := p.rtpConn.LocalAddr().(*net.UDPAddr).AddrPort()
	return buildSDP(ap.Addr(), int(ap.Port()), 1, 1, []Codec{p.codec}, p.dtmfPT)
}

// call dials number at addr over transport and waits for the answer; extra
// headers (a From of the test's own, say) go into the INVITE.
func (p *phone) call(addr, number, transport string, extra ...sip.Header) (*sip.Response, error) {
	return p.callWith(addr, number, transport, sipgo.AnswerOptions{}, extra...)
}

// callAs dials number with SIP credentials (answering a 401 with digest).
func (p *phone) callAs(addr, number, login, password string) (*sip.Response, error) {
	return p.callWith(addr, number, "", sipgo.AnswerOptions{Username: login, Password: password})
}

// callWith is call answering challenges as answer says.
func (p *phone) callWith(addr, number, transport string, answer sipgo.AnswerOptions, extra ...sip.Header) (*sip.Response, error) {
	host, port, _ := net.SplitHostPort(addr)
	var portN int
	fmt.Sscan(port, &portN)
	uri := sip.Uri{Scheme: "sip", User: number, Host: host, Port: portN}
	if transport != "" && transport != "udp" {
		uri.UriParams = sip.HeaderParams{{K: "transport", V: transport}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dlg, err := p.dc.Invite(ctx, uri, p.offer(), append([]sip.Header{sip.NewHeader("Content-Type", "application/sdp")}, extra...)...)
	if err != nil {
		return nil, err
	}
	p.dlg = dlg
	if err := dlg.WaitAnswer(ctx, answer); err != nil {
		return dlg.InviteResponse, err
	}
	md, err := parseSDP(dlg.InviteResponse.Body())
	if err != nil {
		return dlg.InviteResponse, err
	}
	p.remote.Store(&md.Addr)
	p.codec = md.Codecs[0]
	if err := dlg.Ack(ctx); err != nil {
		return dlg.InviteResponse, err
	}
	p.wg.Add(2)
	go p.sendLoop()
	go p.recvLoop()
	return dlg.InviteResponse, nil
}

func (p *phone) mustCall(addr, number, transport string, extra ...sip.Header) {
	p.t.Helper()
	res, err := p.call(addr, number, transport, extra...)
	if err != nil {
		p.t.Fatalf("call %s: %v (response %v)", number, err, res)
	}
}

func (p *phone) sendLoop() {
	defer p.wg.Done()
	var seq uint16 = 100
	var ts uint32 = 1000
	var pos int
	buf := make([]byte, 1500)
	frame := make([]int16, frameSamples)
	tick := time.NewTicker(framePeriod)
	defer tick.Stop()
	// The RTP clock follows the wall clock, as a phone's sound card does,
	// so recordings last as long as the caller spoke.
	start := time.Now()
	clock := func() uint32 { return 1000 + uint32(time.Since(start)/framePeriod)*frameSamples }
	send := func(pkt *rtp.Packet) {
		n, _ := pkt.MarshalTo(buf)
		p.rtpConn.WriteToUDPAddrPort(buf[:n], *p.remote.Load())
		p.sent.Add(1)
	}
	var digit byte
	var digitStep int
	var digitTS uint32
	// next sends the frame at ts: a DTMF event while a digit is pressed,
	// else the microphone's audio.
	next := func() {
		if digit == 0 {
			select {
			case digit = <-p.pending:
				digitStep, digitTS = 0, ts
			default:
			}
		}
		if digit != 0 {
			// RFC 4733: three updates, then the end packet three times.
			end := digitStep >= 3
			dur := uint16(160 * min(digitStep+1, 3))
			send(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: uint8(p.dtmfPT), SequenceNumber: seq,
				Timestamp: digitTS, SSRC: 7, Marker: digitStep == 0}, Payload: EncodeTelephoneEvent(digit, end, dur)})
			seq++
			ts += frameSamples
			if digitStep++; digitStep == 6 {
				digit = 0
			}
			return
		}
		clear(frame)
		if src := p.source.Load(); src != nil && len(*src) > 0 {
			for i := range frame {
				frame[i] = (*src)[pos%len(*src)]
				pos++
			}
		}
		send(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: p.codec.PayloadType, SequenceNumber: seq,
			Timestamp: ts, SSRC: 7}, Payload: p.codec.Encode(nil, frame)})
		seq++
		ts += frameSamples
	}
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		if p.paused.Load() {
			p.quiet.Store(true)
			continue
		}
		p.quiet.Store(false)
		// One frame a tick, and the frames of ticks the loaded machine
		// dropped, sent late in a burst as a network delivers a phone's
		// packets after a stall: no audio is lost, so what a recording
		// holds is what was said. (Dropping them instead cut holes in the
		// audio that broke the correlation checks under load.) Over a
		// second behind, after a pause, the stream jumps ahead: those
		// packets are lost, as from a phone that stopped sending.
		due := 1
		if now := clock(); now > ts {
			if behind := int(now-ts) / frameSamples; behind <= 50 {
				due += behind
				if d := int64(behind) * int64(framePeriod); d > p.late.Load() {
					p.late.Store(d)
				}
			} else {
				pos += int(now - ts)
				ts = now
			}
		}
		for range due {
			next()
		}
	}
}

func (p *phone) recvLoop() {
	defer p.wg.Done()
	buf := make([]byte, 1500)
	var last uint16
	first := true
	for {
		n, err := p.rtpConn.Read(buf)
		if err != nil {
			return
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		var c Codec
		switch pkt.PayloadType {
		case 0:
			c = PCMU
		case 8:
			c = PCMA
		default:
			continue
		}
		p.mu.Lock()
		if !first && pkt.SequenceNumber != last+1 {
			p.rxSeqGap++
		}
		first, last = false, pkt.SequenceNumber
		p.rx = c.Decode(p.rx, pkt.Payload)
		p.rxTimes = append(p.rxTimes, time.Now())
		p.mu.Unlock()
	}
}

// lateBy is the most the phone's sender fell behind the wall clock: audio
// said that long before a moment may reach the server after it, so a
// server's recording phase can hold that much more than its own length.
func (p *phone) lateBy() time.Duration { return time.Duration(p.late.Load()) }

// sendAudio loops samples as the phone's microphone; nil sends silence.
func (p *phone) sendAudio(samples []int16) {
	if samples == nil {
		p.source.Store(nil)
		return
	}
	p.source.Store(&samples)
}

func (p *phone) press(digits string) {
	for i := 0; i < len(digits); i++ {
		p.pending <- digits[i]
	}
}

// info sends one key as SIP INFO with the given content type.
func (p *phone) info(digit byte, contentType string) *sip.Response {
	p.t.Helper()
	body := string(digit)
	if contentType == "application/dtmf-relay" {
		body = "Signal=" + string(digit) + "\r\nDuration=160\r\n"
	}
	req := sip.NewRequest(sip.INFO, p.dlg.InviteResponse.Contact().Address)
	req.AppendHeader(sip.NewHeader("Content-Type", contentType))
	req.SetBody([]byte(body))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.dlg.Do(ctx, req)
	if err != nil {
		p.t.Fatalf("INFO: %v", err)
	}
	return res
}

// received returns a copy of the audio heard so far.
func (p *phone) received() []int16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int16(nil), p.rx...)
}

// waitHangup waits for the server's BYE.
func (p *phone) waitHangup(d time.Duration) bool {
	select {
	case <-p.dlg.Context().Done():
		return true
	case <-time.After(d):
		return false
	}
}

func (p *phone) hangup() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.dlg.Bye(ctx); err != nil {
		p.t.Errorf("BYE: %v", err)
	}
}

// steps records IVR steps per call so tests can act at the right moment.
type steps struct {
	mu   sync.Mutex
	seen map[string][]string    // callID → steps so far
	when map[string][]time.Time // callID → when each step was taken
	ch   chan struct{}          // closed and replaced on every new step
}

// recordSteps returns the step log installed at start.
func (ts *testServer) recordSteps() *steps { return ts.steps }

func (ts *testServer) installSteps() *steps {
	s := &steps{seen: map[string][]string{}, when: map[string][]time.Time{}, ch: make(chan struct{})}
	ts.e.onStep = func(callID, step string) {
		s.mu.Lock()
		s.seen[callID] = append(s.seen[callID], step)
		s.when[callID] = append(s.when[callID], time.Now())
		close(s.ch)
		s.ch = make(chan struct{})
		s.mu.Unlock()
	}
	return s
}

// wait blocks until the call has reached step.
func (s *steps) wait(t *testing.T, p *phone, step string) {
	t.Helper()
	id := p.dlg.InviteRequest.CallID().Value()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		for _, x := range s.seen[id] {
			if x == step {
				s.mu.Unlock()
				return
			}
		}
		ch := s.ch
		got := append([]string(nil), s.seen[id]...)
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("call never reached %q; steps: %v", step, got)
		}
	}
}

// at is when the server took step on p's call (it must have: wait first).
// A test measures the server's phases with it, not its own clock, which a
// loaded machine lets fall behind.
func (s *steps) at(t *testing.T, p *phone, step string) time.Time {
	t.Helper()
	id := p.dlg.InviteRequest.CallID().Value()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.seen[id] {
		if x == step {
			return s.when[id][i]
		}
	}
	t.Fatalf("call never reached %q; steps: %v", step, s.seen[id])
	return time.Time{}
}

func sipgoAnswer() sipgo.AnswerOptions { return sipgo.AnswerOptions{} }

// metricValue reads a counter or gauge from the test server's registry.
func (ts *testServer) metricValue(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := ts.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// rtpIn is how many RTP packets the server has received on p's call (0
// once the call is gone).
func (ts *testServer) rtpIn(p *phone) uint64 {
	id := p.dlg.InviteRequest.CallID().Value()
	ts.e.mu.Lock()
	defer ts.e.mu.Unlock()
	for _, c := range ts.e.calls {
		if c.callID == id {
			return c.rtp.stats.rxPackets.Load()
		}
	}
	return 0
}

// waitRTPIn waits until the server has received n RTP packets on p's call:
// from then on its media timers run from real packets.
func (ts *testServer) waitRTPIn(t *testing.T, p *phone, n uint64) {
	t.Helper()
	rx := func() uint64 { return ts.rtpIn(p) }
	for deadline := time.Now().Add(10 * time.Second); rx() < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server received %d RTP packets, want %d", rx(), n)
		}
	}
}
