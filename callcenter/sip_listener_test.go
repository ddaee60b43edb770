package callcenter

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// An attacker opens far more silent TCP connections than the listener's
// budget, from many addresses. Those over the budget are closed at once, the
// rest when their first message is overdue; UDP is answered throughout, a
// fresh TCP client gets in once the silent ones are gone, and serve never
// returns.
func TestSIPTCPFloodKeepsServing(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.SIPTCPMaxConns, cfg.SIPTCPMaxPerIP = 20, 4
	cfg.SIPTCPMessageTimeout = 3 * time.Second
	ts := startTestServer(t, cfg)

	const sources, perSource = 50, 4 // 200 connections, 10× the budget
	var closed atomic.Int64
	var wg sync.WaitGroup
	conns := make([]*net.TCPConn, 0, sources*perSource)
	for s := range sources {
		for range perSource {
			c := dialSIPFrom(t, fmt.Sprintf("127.0.1.%d", 10+s), ts.addr)
			conns = append(conns, c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if closedByServer(c, 30*time.Second) {
					closed.Add(1)
				}
			}()
		}
	}
	// The connections over the budget are closed as they are accepted
	// (the metric says which were refused, whatever the machine's load).
	if !pollUntil(10*time.Second, func() bool { return closed.Load() >= int64(len(conns)-cfg.SIPTCPMaxConns) }) {
		t.Fatalf("%d of %d connections over the budget of %d closed", closed.Load(), len(conns)-cfg.SIPTCPMaxConns, cfg.SIPTCPMaxConns)
	}
	if got := ts.metricValue(t, "doithoai_hotline_sip_tcp_connections", nil); got > float64(cfg.SIPTCPMaxConns) {
		t.Errorf("%v SIP TCP connections open, budget %d", got, cfg.SIPTCPMaxConns)
	}
	if code := udpOptionsStatus(t, "127.0.0.1", ts.addr, "flood-udp"); code != 200 {
		t.Errorf("UDP OPTIONS during the flood: %d, want 200", code)
	}
	ts.mustBeServing(t)

	// The admitted silent connections are closed when their first message
	// is overdue; then a new client is served over TCP.
	if !pollUntil(15*time.Second, func() bool { return closed.Load() == int64(len(conns)) }) {
		t.Fatalf("only %d of %d silent connections closed", closed.Load(), len(conns))
	}
	// Each was refused for the budget or admitted and timed out. At least
	// the first 20 were admitted; more when dialling took longer than the
	// message timeout on a loaded machine (admitted ones timed out and made
	// room), so "exactly 180 refused" held only on an idle one.
	budget := ts.metricValue(t, "doithoai_hotline_sip_tcp_closed_total", map[string]string{"reason": "budget"})
	timedOut := ts.metricValue(t, "doithoai_hotline_sip_tcp_closed_total", map[string]string{"reason": "message_timeout"})
	if budget+timedOut != float64(len(conns)) || timedOut < float64(cfg.SIPTCPMaxConns) || budget < 1 {
		t.Errorf("%v refused for the budget and %v admitted then timed out, want %d in all with at least the %d the budget keeps admitted",
			budget, timedOut, len(conns), cfg.SIPTCPMaxConns)
	}
	fresh := dialSIPFrom(t, "127.0.2.1", ts.addr)
	if code := tcpOptions(fresh, ts.addr, "flood-tcp", 5*time.Second); code != 200 {
		t.Errorf("TCP OPTIONS after the flood: %d, want 200", code)
	}
	ts.mustBeServing(t)
	wg.Wait()
}

// A partial INVITE trickled a byte at a time is cut off when the message
// deadline passes, although bytes keep coming.
func TestSIPTCPSlowMessageClosed(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.SIPTCPMessageTimeout = time.Second
	cfg.SIPTCPIdleTimeout = time.Minute
	ts := startTestServer(t, cfg)
	c := dialSIPFrom(t, "127.0.3.1", ts.addr)
	// A complete message first: the deadline is per message, not per
	// connection.
	if code := tcpOptions(c, ts.addr, "slow-first", 5*time.Second); code != 200 {
		t.Fatalf("OPTIONS: %d", code)
	}
	invite := sipOptions("TCP", c.LocalAddr().String(), ts.addr, "slow-invite")
	stop := make(chan struct{})
	var sent atomic.Int64
	go func() {
		for i := 0; i < len(invite); i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := c.Write([]byte{invite[i]}); err != nil {
				return
			}
			sent.Add(1)
		}
	}()
	defer close(stop)
	start := time.Now()
	if !closedByServer(c, 8*time.Second) {
		t.Fatalf("trickled message still open after %v (%d of %d bytes sent)", time.Since(start), sent.Load(), len(invite))
	}
	if el := time.Since(start); el < 800*time.Millisecond {
		t.Errorf("closed after %v, before the 1s message deadline", el)
	}
	if n := sent.Load(); n >= int64(len(invite)) {
		t.Errorf("the whole message was sent (%d bytes) before the close", n)
	}
	if got := ts.metricValue(t, "doithoai_hotline_sip_tcp_closed_total", map[string]string{"reason": "message_timeout"}); got != 1 {
		t.Errorf("message_timeout closes %v, want 1", got)
	}
}

// A connection silent after its messages is closed after the idle timeout;
// RFC 5626 CRLF keep-alives count as traffic and keep one open.
func TestSIPTCPIdleClosedUnlessKeptAlive(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.SIPTCPMessageTimeout = time.Second
	cfg.SIPTCPIdleTimeout = 2 * time.Second
	ts := startTestServer(t, cfg)
	idle := dialSIPFrom(t, "127.0.4.1", ts.addr)
	alive := dialSIPFrom(t, "127.0.4.2", ts.addr)
	for i, c := range []*net.TCPConn{idle, alive} {
		if code := tcpOptions(c, ts.addr, fmt.Sprintf("idle-%d", i), 5*time.Second); code != 200 {
			t.Fatalf("OPTIONS: %d", code)
		}
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				alive.Write([]byte("\r\n\r\n")) // ping; the server pongs "\r\n"
			}
		}
	}()
	start := time.Now()
	if !closedByServer(idle, 8*time.Second) {
		t.Fatal("idle connection never closed")
	}
	if el := time.Since(start); el < time.Second {
		t.Errorf("idle connection closed after %v, before the idle timeout", el)
	}
	if pollUntil(3*time.Second, func() bool { return closedByServer(alive, 100*time.Millisecond) }) {
		t.Fatal("connection sending keep-alives was closed")
	}
	if code := tcpOptions(alive, ts.addr, "idle-after", 5*time.Second); code != 200 {
		t.Errorf("OPTIONS on the kept-alive connection: %d, want 200", code)
	}
}

// One address may hold SIPTCPMaxPerIP connections; the next is closed at
// once while another address still gets in.
func TestSIPTCPPerSourceCap(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.SIPTCPMaxConns, cfg.SIPTCPMaxPerIP = 50, 3
	ts := startTestServer(t, cfg)
	var held []*net.TCPConn
	for i := range 3 {
		c := dialSIPFrom(t, "127.0.5.1", ts.addr)
		if code := tcpOptions(c, ts.addr, fmt.Sprintf("cap-%d", i), 5*time.Second); code != 200 {
			t.Fatalf("connection %d: OPTIONS %d, want 200", i, code)
		}
		held = append(held, c)
	}
	extra := dialSIPFrom(t, "127.0.5.1", ts.addr)
	if !closedByServer(extra, 3*time.Second) {
		t.Fatal("fourth connection from one address was kept")
	}
	other := dialSIPFrom(t, "127.0.5.2", ts.addr)
	if code := tcpOptions(other, ts.addr, "cap-other", 5*time.Second); code != 200 {
		t.Errorf("another address: OPTIONS %d, want 200", code)
	}
	for i, c := range held {
		if code := tcpOptions(c, ts.addr, fmt.Sprintf("cap-again-%d", i), 5*time.Second); code != 200 {
			t.Errorf("held connection %d: OPTIONS %d, want 200", i, code)
		}
	}
	// A closed connection frees its place.
	held[0].Close()
	ok := pollUntil(10*time.Second, func() bool { return tcpOptionsFrom("127.0.5.1", ts.addr, "cap-reuse", 2*time.Second) == 200 })
	if !ok {
		t.Error("the address stayed at its cap after a connection closed")
	}
	if got := ts.metricValue(t, "doithoai_hotline_sip_tcp_closed_total", map[string]string{"reason": "per_source"}); got < 1 {
		t.Errorf("per_source closes %v, want ≥ 1", got)
	}
}

// An agent registered over TCP is rung over that same connection (sipgo
// reuses it by address), so the idle timeout must spare it for as long as
// the registration lives.
func TestSIPTCPRegisteredAgentKeptPastIdle(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.SIPTCPMessageTimeout = time.Second
	cfg.SIPTCPIdleTimeout = time.Second
	ts := startTestServer(t, cfg)
	st := ts.recordSteps()
	ts.store.AddAgent("lan", "secret")
	agentPhone := newAgentPhone(t, "lan", true)
	if code := registerOverTCP(t, agentPhone, ts.addr, "lan", "secret"); code != 200 {
		t.Fatalf("REGISTER over TCP: %d", code)
	}
	openConns := func() int {
		ts.e.tcpGate.mu.Lock()
		defer ts.e.tcpGate.mu.Unlock()
		return ts.e.tcpGate.total
	}
	if n := openConns(); n != 1 {
		t.Fatalf("%d SIP TCP connections after REGISTER, want 1", n)
	}
	// Three idle periods without a byte on the agent's connection.
	deadline := time.Now().Add(3 * cfg.SIPTCPIdleTimeout)
	for time.Now().Before(deadline) {
		if n := openConns(); n != 1 {
			t.Fatalf("the registered agent's TCP connection was closed while idle")
		}
		time.Sleep(50 * time.Millisecond)
	}
	caller := newPhone(t, "0933444555")
	caller.mustCall(ts.addr, "1022", "udp")
	caller.press("11")
	select {
	case dlg := <-agentPhone.invites:
		if tp := dlg.InviteRequest.Transport(); tp != "TCP" {
			t.Errorf("agent rung over %s, want its TCP connection", tp)
		}
	case <-time.After(10 * time.Second):
		st.wait(t, caller, "agent:lan")
		t.Fatal("agent never rung")
	}
	if got := ts.metricValue(t, "doithoai_hotline_sip_tcp_closed_total", map[string]string{"reason": "idle"}); got != 0 {
		t.Errorf("%v idle closes, want 0", got)
	}
}

// registerOverTCP registers login from p over TCP, answering the digest
// challenge, and returns the final status.
func registerOverTCP(t *testing.T, p *phone, addr, login, password string) int {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	var portN int
	fmt.Sscan(port, &portN)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: portN,
		UriParams: sip.HeaderParams{{K: "transport", V: "tcp"}}})
	aor := sip.Uri{Scheme: "sip", User: login, Host: host}
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := sip.FromHeader{Address: aor}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(&from)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: login, Host: "127.0.0.1", Port: p.listenPort,
		UriParams: sip.HeaderParams{{K: "transport", V: "tcp"}}}})
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := p.client.Do(ctx, req)
	if err != nil {
		t.Fatalf("REGISTER: %v", err)
	}
	if res.StatusCode == 401 {
		if res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: login, Password: password}); err != nil {
			t.Fatalf("REGISTER with auth: %v", err)
		}
	}
	return res.StatusCode
}

func TestSourceKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ a, b string }{
		{"127.0.0.5", "::ffff:127.0.0.5"},           // IPv4-mapped IPv6 is the IPv4 address
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"}, // one IPv6 /64
	} {
		if ka, kb := sourceKey(netip.MustParseAddr(tc.a)), sourceKey(netip.MustParseAddr(tc.b)); ka != kb {
			t.Errorf("%s → %v, %s → %v: want one source", tc.a, ka, tc.b, kb)
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"127.0.0.5", "127.0.0.6"},
		{"2001:db8:1:2::1", "2001:db8:1:3::1"},
	} {
		if sourceKey(netip.MustParseAddr(tc.a)) == sourceKey(netip.MustParseAddr(tc.b)) {
			t.Errorf("%s and %s counted as one source", tc.a, tc.b)
		}
	}
}
