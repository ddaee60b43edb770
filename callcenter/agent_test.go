package callcenter

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// register sends REGISTER for login; with a password it answers the
// challenge. It returns the final status.
func (p *phone) register(t *testing.T, addr, login, password string) int {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	var portN int
	fmt.Sscan(port, &portN)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: portN})
	aor := sip.Uri{Scheme: "sip", User: login, Host: host}
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := sip.FromHeader{Address: aor}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(&from)
	// Contact points at the phone's own SIP listener (where INVITEs go).
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: login, Host: "127.0.0.1", Port: p.listenPort}})
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.client.Do(ctx, req)
	if err != nil {
		t.Fatalf("REGISTER: %v", err)
	}
	if res.StatusCode == 401 && password != "" {
		res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: login, Password: password})
		if err != nil {
			t.Fatalf("REGISTER with auth: %v", err)
		}
	}
	return res.StatusCode
}

// agentPhone is a phone that listens for INVITEs and answers them, playing
// a tone at agentFreq.
const agentFreq = 1000

func newAgentPhone(t *testing.T, login string, answer bool) *phone {
	t.Helper()
	p := newPhone(t, login)
	l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p.listenPort = l.LocalAddr().(*net.UDPAddr).Port
	// PCMA, the second codec offered, so the bridge must transcode. Set once:
	// an agent may answer a second call (from another node) while the first
	// one's send loop reads it.
	p.codec = PCMA
	go p.srv.ServeUDP(l)
	t.Cleanup(func() { l.Close() })
	p.invites = make(chan *sipgo.DialogServerSession, 4)
	dua := &sipgo.DialogUA{Client: p.client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: login, Host: "127.0.0.1", Port: p.listenPort}}}
	var cache = map[string]*sipgo.DialogServerSession{}
	var mu = make(chan struct{}, 1)
	p.srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		dlg, err := dua.ReadInvite(req, tx)
		if err != nil {
			return
		}
		dlg.Respond(180, "Ringing", nil)
		if !answer {
			<-dlg.Context().Done() // ring until cancelled
			return
		}
		md, err := parseSDP(req.Body())
		if err != nil {
			dlg.Respond(488, "Not Acceptable Here", nil)
			return
		}
		if !slices.ContainsFunc(md.Codecs, func(c Codec) bool { return c.PayloadType == p.codec.PayloadType }) {
			dlg.Respond(488, "Not Acceptable Here", nil)
			return
		}
		p.remote.Store(&md.Addr)
		mu <- struct{}{}
		cache[dlg.ID] = dlg
		<-mu
		ap := p.rtpConn.LocalAddr().(*net.UDPAddr).AddrPort()
		if err := dlg.RespondSDP(buildSDP(ap.Addr(), int(ap.Port()), 2, 1, []Codec{p.codec}, 101)); err != nil {
			return
		}
		p.sendAudio(tone(agentFreq, 1, 7000))
		p.wg.Add(2)
		go p.sendLoop()
		go p.recvLoop()
		p.invites <- dlg
		<-dlg.Context().Done()
	})
	p.srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		id, _ := sip.DialogIDFromRequestUAS(req)
		mu <- struct{}{}
		dlg := cache[id]
		<-mu
		if dlg != nil {
			dlg.ReadAck(req, tx)
		}
	})
	p.srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		id, _ := sip.DialogIDFromRequestUAS(req)
		mu <- struct{}{}
		dlg := cache[id]
		<-mu
		if dlg != nil {
			dlg.ReadBye(req, tx)
			return
		}
		tx.Respond(sip.NewResponseFromRequest(req, 481, "No dialog", nil))
	})
	return p
}

func TestAgentRegisterAuth(t *testing.T) {
	t.Parallel()
	ts := startTestServer(t, testConfig(t))
	ts.store.AddAgent("lan", "secret")
	p := newAgentPhone(t, "lan", true)
	if code := p.register(t, ts.addr, "lan", ""); code != 401 {
		t.Errorf("no credentials: %d, want 401", code)
	}
	if code := p.register(t, ts.addr, "lan", "wrong"); code != 403 {
		t.Errorf("wrong password: %d, want 403", code)
	}
	if code := p.register(t, ts.addr, "nobody", "secret"); code != 403 {
		t.Errorf("unknown user: %d, want 403", code)
	}
	if n := ts.e.agents.registered(); n != 0 {
		t.Fatalf("%d agents registered after failures", n)
	}
	if code := p.register(t, ts.addr, "lan", "secret"); code != 200 {
		t.Fatalf("good credentials: %d, want 200", code)
	}
	if n := ts.e.agents.registered(); n != 1 {
		t.Fatalf("%d agents registered, want 1", n)
	}
	// Guessing passwords from one address is cut off, even with the right one.
	for range 6 {
		p.register(t, ts.addr, "lan", "guess")
	}
	if code := p.register(t, ts.addr, "lan", "secret"); code != 403 {
		t.Errorf("after repeated failures: %d, want 403", code)
	}
}

func TestRegisterRateLimited(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.RegisterRate, cfg.RegisterBurst = 1, 5
	ts := startTestServer(t, cfg)
	p := newPhone(t, "x")
	codes := map[int]int{}
	for range 12 {
		codes[p.register(t, ts.addr, "x", "")]++
	}
	if codes[401] < 4 || codes[401] > 7 || codes[503] < 5 {
		t.Errorf("status counts %v: want ~5×401 then 503", codes)
	}
}

func TestCallBridgedToAgent(t *testing.T) {
	t.Parallel()
	ts := startTestServer(t, testConfig(t))
	st := ts.recordSteps()
	ts.store.AddAgent("lan", "secret")
	agentPhone := newAgentPhone(t, "lan", true)
	if code := agentPhone.register(t, ts.addr, "lan", "secret"); code != 200 {
		t.Fatalf("REGISTER: %d", code)
	}
	caller := newPhone(t, "0977000777")
	caller.mustCall(ts.addr, "1022", "udp")
	caller.sendAudio(tone(440, 1, 7000))
	caller.press("11")
	st.wait(t, caller, "agent:lan")
	var agentDlg *sipgo.DialogServerSession
	select {
	case agentDlg = <-agentPhone.invites:
	case <-time.After(5 * time.Second):
		t.Fatal("agent phone never answered")
	}
	mark := len(caller.received())

	// Caller → agent: the agent hears the caller's 440 Hz (and nothing else
	// is ever sent to the agent); agent → caller: after the bridge the
	// caller hears the agent's 1000 Hz. Each second of audio is judged as
	// it arrives, so a loaded machine only makes the wait longer.
	agentHears := func() bool {
		heard := agentPhone.received()
		return len(heard) >= 8000 && goertzel(heard[len(heard)-8000:], 440) >= 0.5
	}
	callerHears := func() bool {
		heard := caller.received()[mark:]
		return len(heard) >= 8000 && goertzel(heard[len(heard)-8000:], agentFreq) >= 0.5
	}
	for deadline := time.Now().Add(10 * time.Second); !agentHears() || !callerHears(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			heard, back := agentPhone.received(), caller.received()[mark:]
			t.Fatalf("after 10 s: agent heard %d samples (440 Hz share %.2f), caller %d since bridging (1000 Hz share %.2f)",
				len(heard), goertzel(heard, 440), len(back), goertzel(back, agentFreq))
		}
	}

	// The agent hangs up: the caller is hung up on too, and the agent is free.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := agentDlg.Bye(ctx); err != nil {
		t.Fatalf("agent BYE: %v", err)
	}
	if !caller.waitHangup(5 * time.Second) {
		t.Fatal("caller not hung up after the agent left")
	}
	cdrs := ts.waitCDRs(t, 1)
	c := cdrs[0]
	if c.Outcome != OutcomeAgent || c.Agent != "lan" || !slices.Contains(c.IVRPath, "agent_end:agent") {
		t.Errorf("CDR = %+v", c)
	}
	ts.e.agents.mu.Lock()
	busy := ts.e.agents.agents["lan"].busy
	ts.e.agents.mu.Unlock()
	if busy {
		t.Error("agent still busy after the call")
	}
}

func TestQueueTimesOutToVoicemail(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.AgentWait = 1500 * time.Millisecond
	cfg.AgentRingTimeout = 700 * time.Millisecond
	ts := startTestServer(t, cfg)
	st := ts.recordSteps()
	ts.store.AddAgent("mai", "pw")
	agentPhone := newAgentPhone(t, "mai", false) // rings, never answers
	if code := agentPhone.register(t, ts.addr, "mai", "pw"); code != 200 {
		t.Fatalf("REGISTER: %d", code)
	}
	caller := newPhone(t, "0911000999")
	caller.mustCall(ts.addr, "1022", "tcp")
	caller.press("12")
	st.wait(t, caller, "queue")
	st.wait(t, caller, "ring_failed:mai")
	st.wait(t, caller, "queue:timeout")
	caller.press("1")
	st.wait(t, caller, "record")
	caller.hangup()
	cdrs := ts.waitCDRs(t, 1)
	if cdrs[0].QueueWait < 1.4 || cdrs[0].Outcome != OutcomeAbandoned {
		t.Errorf("CDR = %+v", cdrs[0])
	}
	if !strings.Contains(strings.Join(cdrs[0].IVRPath, " "), "ring:mai") {
		t.Errorf("agent was never rung: %v", cdrs[0].IVRPath)
	}
}
