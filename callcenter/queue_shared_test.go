package callcenter

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// startSharedNode runs an engine whose registrations and bridged calls
// are in reg (one PostgreSQL for every node), named node.
func startSharedNode(t *testing.T, cfg Config, reg agentRegistry, node string) *testServer {
	t.Helper()
	ts := startTestServerWith(t, cfg, func(d *engineDeps) { d.registry, d.node = reg, node })
	ts.store.AddAgent("lan", "secret")
	return ts
}

func sharedConfig(t *testing.T) Config {
	cfg := testConfig(t)
	cfg.AgentLease = 2 * time.Second
	cfg.AgentWait = 15 * time.Second
	return cfg
}

// waitInvite waits for the agent's phone to answer an INVITE.
func waitInvite(t *testing.T, p *phone, d time.Duration) *sipgo.DialogServerSession {
	t.Helper()
	select {
	case dlg := <-p.invites:
		return dlg
	case <-time.After(d):
		t.Fatalf("agent phone never answered within %s", d)
		return nil
	}
}

// waitHears polls until the phone's last second of audio is mostly freq.
func waitHears(t *testing.T, p *phone, mark int, freq float64, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		heard := p.received()[mark:]
		if len(heard) >= 8000 && goertzel(heard[len(heard)-8000:], freq) >= 0.5 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: after 10 s heard %d samples, %.0f Hz share %.2f", what, len(heard), freq, goertzel(heard, freq))
		}
	}
}

// A call queued on node A rings the agent registered through node B, the
// audio is bridged both ways, node B's desk lists the call bridged on A
// (and takes its summary), and the agent is free again for every node
// after the call.
func TestSharedRegistrationRingsAcrossNodes(t *testing.T) {
	t.Parallel()
	reg := pgRegistry{testenv.NewDB(t)}
	cfg := sharedConfig(t)
	a := startSharedNode(t, cfg, reg, "node-a")
	b := startSharedNode(t, cfg, reg, "node-b")

	agentPhone := newAgentPhone(t, "lan", true)
	if code := agentPhone.register(t, b.addr, "lan", "secret"); code != 200 {
		t.Fatalf("REGISTER through B: %d", code)
	}
	if got := a.e.agents.snapshot(); len(got) != 1 || got[0].Login != "lan" || got[0].Busy {
		t.Fatalf("node A sees agents %+v, want lan idle", got)
	}

	caller := newPhone(t, "0977000777")
	caller.mustCall(a.addr, "1022", "udp")
	caller.sendAudio(tone(440, 1, 9000))
	caller.press("11")
	a.recordSteps().wait(t, caller, "agent:lan")
	agentDlg := waitInvite(t, agentPhone, 5*time.Second)
	mark := len(caller.received())
	waitHears(t, agentPhone, 0, 440, "agent")
	waitHears(t, caller, mark, agentFreq, "caller")

	callID := caller.dlg.InviteRequest.CallID().Value()
	own := a.e.liveCalls()
	live := b.e.deskLiveCalls(context.Background())
	if len(own) != 1 || own[0].CallID != callID || !slices.ContainsFunc(live, func(lc LiveCall) bool {
		return lc.CallID == callID && lc.Agent == "lan" && lc.Caller == own[0].Caller && lc.Topic == own[0].Topic
	}) {
		t.Fatalf("node B's desk lists %+v, want the call bridged on A (%+v)", live, own)
	}
	if ok, err := b.e.liveAnywhere(context.Background(), callID); err != nil || !ok {
		t.Fatalf("node B: call live = %v, %v", ok, err)
	}
	if got := b.e.agents.snapshot(); len(got) != 1 || !got[0].Busy {
		t.Fatalf("node B sees agents %+v, want lan busy", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := agentDlg.Bye(ctx); err != nil {
		t.Fatalf("agent BYE: %v", err)
	}
	if !caller.waitHangup(5 * time.Second) {
		t.Fatal("caller not hung up after the agent left")
	}
	if c := a.waitCDRs(t, 1)[0]; c.Outcome != OutcomeAgent || c.Agent != "lan" {
		t.Errorf("node A's CDR = %+v", c)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		live := b.e.deskLiveCalls(context.Background())
		got := a.e.agents.snapshot()
		if len(live) == 0 && len(got) == 1 && !got[0].Busy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the call: live %+v, agents %+v; want none live and lan idle", live, got)
		}
	}
}

// A node that dies holding an agent (no release, no BYE) frees it when
// its lease lapses: the next call, on another node, rings that agent, and
// not before the lease ended.
func TestSharedAgentFreedWhenClaimLapses(t *testing.T) {
	t.Parallel()
	pool := testenv.NewDB(t)
	reg := pgRegistry{pool}
	cfg := sharedConfig(t)
	b := startSharedNode(t, cfg, reg, "node-b")
	agentPhone := newAgentPhone(t, "lan", true)
	if code := agentPhone.register(t, b.addr, "lan", "secret"); code != 200 {
		t.Fatalf("REGISTER: %d", code)
	}
	// "node-dead" claims the agent and is never heard of again.
	ctx := context.Background()
	if _, ok, err := reg.claimAgent(ctx, "node-dead", cfg.AgentLease); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if _, ok, err := reg.claimAgent(ctx, "node-other", cfg.AgentLease); err != nil || ok {
		t.Fatalf("second claim of a held agent: ok=%v err=%v, want refused", ok, err)
	}
	var until time.Time
	if err := pool.QueryRow(ctx, `SELECT claimed_until FROM hotline_registrations WHERE login = 'lan'`).Scan(&until); err != nil {
		t.Fatal(err)
	}

	caller := newPhone(t, "0977000778")
	caller.mustCall(b.addr, "1022", "udp")
	caller.press("11")
	b.recordSteps().wait(t, caller, "queue")
	waitInvite(t, agentPhone, 3*cfg.AgentLease+5*time.Second)
	var dbNow time.Time
	if err := pool.QueryRow(ctx, `SELECT now()`).Scan(&dbNow); err != nil {
		t.Fatal(err)
	}
	if dbNow.Before(until) {
		t.Fatalf("agent rung at %s, before the dead node's lease ended at %s", dbNow, until)
	}
	b.recordSteps().wait(t, caller, "agent:lan")
}

// Only a trusted edge's Path is believed; the phone's address in it is
// what digest nonces and per-source budgets see.
func TestRegisterOriginThroughEdge(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.TrustedSources = []netip.Prefix{netip.MustParsePrefix("192.0.2.10/32")}
	e := &engine{cfg: cfg}
	mk := func(src string) *sip.Request {
		req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "198.51.100.1"})
		req.AppendHeader(sip.NewHeader("Path", "<sip:192.0.2.10:5060;lr;received=sip:203.0.113.7:40001%3Btransport%3Dudp>"))
		req.SetSource(src)
		return req
	}
	src, path := e.registerOrigin(mk("192.0.2.10:5060"))
	if src != netip.MustParseAddr("203.0.113.7") || len(path) != 1 {
		t.Fatalf("through the edge: origin %s, path %q", src, path)
	}
	inv := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "lan", Host: "10.0.0.5", Port: 5062})
	if !routeThroughPath(inv, path) || inv.Destination() != "192.0.2.10:5060" || inv.GetHeader("Route") == nil {
		t.Fatalf("INVITE through path: dest %s, route %v", inv.Destination(), inv.GetHeader("Route"))
	}
	src, path = e.registerOrigin(mk("198.51.100.66:5060"))
	if src != netip.MustParseAddr("198.51.100.66") || path != nil {
		t.Fatalf("untrusted source: origin %s, path %q; want its own address and no path", src, path)
	}
}

// A phone registered directly over TCP is claimed only by the node holding
// its connection; through an edge's Path any node may ring it.
func TestSharedClaimOnlyReachableAgents(t *testing.T) {
	t.Parallel()
	reg := pgRegistry{testenv.NewDB(t)}
	ctx := context.Background()
	a := agent{login: "lan", contact: sip.Uri{Scheme: "sip", User: "lan", Host: "10.0.0.5", Port: 5062},
		dest: "10.0.0.5:40000", transport: "TCP", expires: time.Now().Add(time.Hour)}
	if err := reg.saveRegistration(ctx, a, "node-b"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := reg.claimAgent(ctx, "node-a", time.Minute); err != nil || ok {
		t.Fatalf("node A claimed a TCP phone connected to B: ok=%v err=%v", ok, err)
	}
	got, ok, err := reg.claimAgent(ctx, "node-b", time.Minute)
	if err != nil || !ok || got.login != "lan" || got.contact.Port != 5062 {
		t.Fatalf("node B's claim: %+v ok=%v err=%v", got, ok, err)
	}
	if err := reg.releaseAgent(ctx, "lan", "node-b", true); err != nil {
		t.Fatal(err)
	}
	a.path = []string{"<sip:192.0.2.10:5060;lr;received=sip:203.0.113.7:40001>"}
	if err := reg.saveRegistration(ctx, a, "node-b"); err != nil {
		t.Fatal(err)
	}
	got, ok, err = reg.claimAgent(ctx, "node-a", time.Minute)
	if err != nil || !ok || len(got.path) != 1 || got.path[0] != a.path[0] {
		t.Fatalf("node A's claim through the edge: %+v ok=%v err=%v", got, ok, err)
	}
}
