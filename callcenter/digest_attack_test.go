package callcenter

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/prometheus/client_golang/prometheus"
)

// rawUA speaks SIP over a UDP socket bound to one loopback address, so a
// test can send what an attacker would from where an attacker would.
type rawUA struct {
	t      *testing.T
	conn   *net.UDPConn
	server *net.UDPAddr
	ip     string
	port   int
}

func newRawUA(t *testing.T, ip, server string) *rawUA {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	srv, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		t.Fatal(err)
	}
	return &rawUA{t: t, conn: conn, server: srv, ip: ip, port: conn.LocalAddr().(*net.UDPAddr).Port}
}

// registerMsg is the part of a REGISTER a test varies; the Via is always
// the sender's own (a new transaction), the rest can be a captured copy.
type registerMsg struct {
	login, contact, callID, fromTag, authorization string
	expires, cseq                                  int
}

func (u *rawUA) newRegister(login string) registerMsg {
	return registerMsg{login: login, contact: fmt.Sprintf("<sip:%s@%s:%d>", login, u.ip, u.port),
		callID: sip.GenerateTagN(12) + "@" + u.ip, fromTag: sip.GenerateTagN(8), expires: 300, cseq: 1}
}

func (m registerMsg) text(u *rawUA) string {
	var b strings.Builder
	fmt.Fprintf(&b, "REGISTER sip:%s SIP/2.0\r\n", u.server)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport\r\n", u.ip, u.port, sip.GenerateTagN(16))
	fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=%s\r\nTo: <sip:%s@%s>\r\n", m.login, u.server.IP, m.fromTag, m.login, u.server.IP)
	fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: %d REGISTER\r\nContact: %s\r\nExpires: %d\r\n", m.callID, m.cseq, m.contact, m.expires)
	if m.authorization != "" {
		fmt.Fprintf(&b, "Authorization: %s\r\n", m.authorization)
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

// send writes m from u and returns the server's answer.
func (u *rawUA) send(m registerMsg) *sip.Response {
	u.t.Helper()
	if _, err := u.conn.WriteToUDP([]byte(m.text(u)), u.server); err != nil {
		u.t.Fatal(err)
	}
	buf := make([]byte, 65536)
	if err := u.conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		u.t.Fatal(err)
	}
	n, _, err := u.conn.ReadFromUDP(buf)
	if err != nil {
		u.t.Fatalf("no answer to REGISTER from %s: %v", u.ip, err)
	}
	msg, err := sip.ParseMessage(buf[:n])
	if err != nil {
		u.t.Fatalf("bad answer: %v", err)
	}
	res, ok := msg.(*sip.Response)
	if !ok {
		u.t.Fatalf("got a request, not a response: %v", msg)
	}
	return res
}

// challenge returns the server's challenge for m (sent without credentials).
func (u *rawUA) challenge(m registerMsg) *digest.Challenge {
	u.t.Helper()
	m.authorization = ""
	res := u.send(m)
	if res.StatusCode != 401 {
		u.t.Fatalf("REGISTER without credentials: %d, want 401", res.StatusCode)
	}
	return mustChallenge(u.t, res)
}

func mustChallenge(t *testing.T, res *sip.Response) *digest.Challenge {
	t.Helper()
	h := res.GetHeader("WWW-Authenticate")
	if h == nil {
		t.Fatalf("%d without WWW-Authenticate", res.StatusCode)
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		t.Fatal(err)
	}
	return chal
}

// authorize fills in m's Authorization for chal with nc = count.
func (u *rawUA) authorize(m registerMsg, chal *digest.Challenge, password string, count int) registerMsg {
	u.t.Helper()
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:" + u.server.String(), Username: m.login, Password: password, Count: count})
	if err != nil {
		u.t.Fatal(err)
	}
	m.authorization = cred.String()
	return m
}

// binding is what the agent pool holds for login ("" when not registered).
func (ts *testServer) binding(login string) string {
	ts.e.agents.mu.Lock()
	defer ts.e.agents.mu.Unlock()
	a := ts.e.agents.agents[login]
	if a == nil {
		return ""
	}
	return a.contact.String() + " via " + a.dest
}

// TestDigestReplayRefused: a REGISTER captured on the wire, replayed as is,
// with another Contact, or with Expires: 0, from another address or from the
// agent's own, changes nothing: the agent stays registered where it was.
func TestDigestReplayRefused(t *testing.T) {
	ts := startTestServer(t, testConfig(t))
	ts.store.AddAgent("lan", "secret")
	phone := newRawUA(t, "127.0.0.2", ts.addr)
	attacker := newRawUA(t, "127.0.0.3", ts.addr)

	reg := phone.newRegister("lan")
	chal := phone.challenge(reg)
	reg.cseq++
	captured := phone.authorize(reg, chal, "secret", 1)
	if res := phone.send(captured); res.StatusCode != 200 {
		t.Fatalf("agent's REGISTER: %d, want 200", res.StatusCode)
	}
	want := ts.binding("lan")
	if !strings.Contains(want, "127.0.0.2") {
		t.Fatalf("binding %q", want)
	}

	capturedNonce := chal.Nonce
	for _, from := range []*rawUA{attacker, phone} {
		elsewhere := captured
		elsewhere.contact = fmt.Sprintf("<sip:lan@%s:%d>", attacker.ip, attacker.port)
		gone := captured
		gone.expires = 0
		for name, m := range map[string]registerMsg{"same request": captured, "other Contact": elsewhere, "Expires: 0": gone} {
			res := from.send(m)
			switch res.StatusCode {
			case 401:
				if c := mustChallenge(t, res); c.Nonce == capturedNonce {
					t.Errorf("%s from %s: 401 repeats the used nonce", name, from.ip)
				}
			case 403:
			default:
				t.Errorf("%s replayed from %s: %d, want 401 or 403", name, from.ip, res.StatusCode)
			}
			if got := ts.binding("lan"); got != want {
				t.Fatalf("%s replayed from %s moved the agent: %q, was %q", name, from.ip, got, want)
			}
		}
	}
	if n := ts.e.agents.registered(); n != 1 {
		t.Fatalf("%d agents registered, want 1", n)
	}

	// The phone itself goes on with fresh credentials: the next nc of the
	// same nonce, or a new challenge.
	next := captured
	next.cseq += 10
	if res := phone.send(phone.authorize(next, chal, "secret", 2)); res.StatusCode != 200 {
		t.Fatalf("nc=2 on the same nonce: %d, want 200", res.StatusCode)
	}
	next.cseq++
	if res := phone.send(phone.authorize(next, phone.challenge(next), "secret", 1)); res.StatusCode != 200 {
		t.Fatalf("fresh challenge: %d, want 200", res.StatusCode)
	}
}

// TestDigestNonceCountTracked: with qop=auth a (nonce, nc) pair is good
// once and nc must grow; without qop a nonce is good once.
func TestDigestNonceCountTracked(t *testing.T) {
	ts := startTestServer(t, testConfig(t))
	ts.store.AddAgent("lan", "secret")
	phone := newRawUA(t, "127.0.0.4", ts.addr)
	reg := phone.newRegister("lan")
	chal := phone.challenge(reg)
	for _, step := range []struct {
		nc   int
		want int
	}{{1, 200}, {1, 401}, {3, 200}, {2, 401}, {3, 401}, {4, 200}} {
		reg.cseq++
		if res := phone.send(phone.authorize(reg, chal, "secret", step.nc)); res.StatusCode != step.want {
			t.Errorf("nc=%d: %d, want %d", step.nc, res.StatusCode, step.want)
		}
	}
	// RFC 2069 style (no qop): the nonce is single-use.
	reg.cseq++
	plain := *phone.challenge(reg)
	plain.QOP = nil
	for i, want := range []int{200, 401} {
		reg.cseq++
		if res := phone.send(phone.authorize(reg, &plain, "secret", 1)); res.StatusCode != want {
			t.Errorf("no qop, use %d: %d, want %d", i+1, res.StatusCode, want)
		}
	}
}

// countingDir counts agent lookups: the engine looks an agent up only to
// check a digest, so this is the number of password checks an attacker got.
type countingDir struct {
	AgentDirectory
	n atomic.Int64
}

func (d *countingDir) AgentHA1(ctx context.Context, login string) (string, bool, error) {
	d.n.Add(1)
	return d.AgentDirectory.AgentHA1(ctx, login)
}

func startTestServerWithDir(t *testing.T, cfg Config, wrap func(AgentDirectory) AgentDirectory) *testServer {
	t.Helper()
	store := NewMemoryStore()
	reg := prometheus.NewRegistry()
	e, err := newEngine(cfg, engineDeps{store: store, dir: wrap(store), log: testLog(), reg: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{e: e, store: store, addr: fmt.Sprintf("127.0.0.1:%d", e.sipPort), cancel: cancel, done: make(chan error, 1), reg: reg}
	go func() { ts.done <- e.serve(ctx) }()
	t.Cleanup(ts.stop)
	return ts
}

// TestDigestGuessingLimitedPerAccount: 31 source addresses guessing one
// agent's secret at once get a bounded number of real checks between them,
// and the agent's own phone still registers afterwards.
func TestDigestGuessingLimitedPerAccount(t *testing.T) {
	dir := &countingDir{}
	ts := startTestServerWithDir(t, testConfig(t), func(d AgentDirectory) AgentDirectory { dir.AgentDirectory = d; return dir })
	ts.store.AddAgent("lan", "secret")
	owner := newRawUA(t, "127.0.0.2", ts.addr)
	reg := owner.newRegister("lan")
	if res := owner.send(owner.authorize(reg, owner.challenge(reg), "secret", 1)); res.StatusCode != 200 {
		t.Fatalf("owner's REGISTER: %d", res.StatusCode)
	}
	before := dir.n.Load()

	const attempts = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for host := 10; host <= 40; host++ {
		u := newRawUA(t, fmt.Sprintf("127.0.0.%d", host), ts.addr)
		wg.Go(func() {
			for i := range attempts {
				m := u.newRegister("lan")
				m.cseq = i + 1
				code := u.send(u.authorize(m, u.challenge(m), fmt.Sprintf("guess-%d-%d", host, i), 1)).StatusCode
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	checks := dir.n.Load() - before
	t.Logf("%d guesses from 31 addresses: %d real checks, answers %v", 31*attempts, checks, codes)
	if codes[403] != 31*attempts {
		t.Errorf("answers %v: every guess must be refused with 403", codes)
	}
	if checks > accountFailBurst+1 {
		t.Fatalf("%d real checks for one account, want at most %d", checks, accountFailBurst+1)
	}

	// The owner's phone, at the address it registered from, is still let in.
	reg.cseq++
	if res := owner.send(owner.authorize(reg, owner.challenge(reg), "secret", 1)); res.StatusCode != 200 {
		t.Fatalf("owner after the attack: %d, want 200", res.StatusCode)
	}
	// A new address is refused without a check while the account is under
	// attack, even with the right secret (the limit refills one a minute).
	stranger := newRawUA(t, "127.0.0.50", ts.addr)
	m := stranger.newRegister("lan")
	beforeStranger := dir.n.Load()
	if res := stranger.send(stranger.authorize(m, stranger.challenge(m), "secret", 1)); res.StatusCode != 403 {
		t.Errorf("new address during the attack: %d, want 403", res.StatusCode)
	}
	if dir.n.Load() != beforeStranger {
		t.Error("a throttled account was still looked up")
	}
}
