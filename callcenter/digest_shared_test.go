package callcenter

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/testenv"
)

// sharedContact is lan's Contact in the shared registrations.
func sharedContact(t *testing.T, reg pgRegistry) string {
	t.Helper()
	var c string
	if err := reg.pool.QueryRow(context.Background(), `SELECT contact FROM hotline_registrations WHERE login = 'lan'`).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDigestReplayAcrossNodesRefused: two nodes with one nonce secret (as
// behind the edge) and one database. A REGISTER answered by node A,
// replayed to node B from the phone's own address (the nonce's binding
// holds), is refused and moves nothing; the phone's next nc works on B,
// and that answer replayed to A is refused in turn, although A never saw
// it. Each (nonce, nc) counts once in the deployment.
func TestDigestReplayAcrossNodesRefused(t *testing.T) {
	reg := pgRegistry{testenv.NewDB(t)}
	cfg := sharedConfig(t)
	cfg.NonceSecret = []byte("the same on every node")
	a := startSharedNode(t, cfg, reg, "node-a")
	b := startSharedNode(t, cfg, reg, "node-b")

	phone := newRawUA(t, "127.0.0.2", a.addr)
	m := phone.newRegister("lan")
	chal := phone.challenge(m)
	m.cseq++
	captured := phone.authorize(m, chal, "secret", 1)
	if res := phone.send(captured); res.StatusCode != 200 {
		t.Fatalf("agent's REGISTER to A: %d, want 200", res.StatusCode)
	}
	want := sharedContact(t, reg)

	// The attacker sends from the phone's address (a forged UDP source, or
	// the same NAT), so only the ledger can tell.
	toB := newRawUA(t, "127.0.0.2", b.addr)
	elsewhere := captured
	elsewhere.contact = fmt.Sprintf("<sip:lan@127.0.0.9:%d>", toB.port)
	for name, r := range map[string]registerMsg{"same request": captured, "other Contact": elsewhere} {
		if res := toB.send(r); res.StatusCode != 401 && res.StatusCode != 403 {
			t.Errorf("%s replayed to B: %d, want 401 or 403", name, res.StatusCode)
		}
		if got := sharedContact(t, reg); got != want {
			t.Fatalf("%s replayed to B moved the agent: %q, was %q", name, got, want)
		}
	}

	// The phone moves on to B with the next nc: good once, there or on A.
	next := captured
	next.cseq += 10
	next = toB.authorize(next, chal, "secret", 2)
	if res := toB.send(next); res.StatusCode != 200 {
		t.Fatalf("nc=2 to B: %d, want 200", res.StatusCode)
	}
	moved := next
	moved.contact = elsewhere.contact
	if res := phone.send(moved); res.StatusCode != 401 && res.StatusCode != 403 {
		t.Errorf("B's answer replayed to A: %d, want 401 or 403", res.StatusCode)
	}
	if got := sharedContact(t, reg); strings.Contains(got, "127.0.0.9") {
		t.Fatalf("B's answer replayed to A moved the agent to %q", got)
	}
}

// TestDigestSharedLedgerRace: nodes racing on one answer agree; exactly
// one claim of a (nonce, nc) wins, whichever node makes it.
func TestDigestSharedLedgerRace(t *testing.T) {
	reg := pgRegistry{testenv.NewDB(t)}
	ledgers := []*sharedNonceLedger{newSharedNonceLedger(reg), newSharedNonceLedger(reg), newSharedNonceLedger(reg)}
	n := nonces{secret: []byte("s")}
	now := time.Now()
	nonce := n.issue(netip.MustParseAddr("127.0.0.2"), now)
	var mu sync.Mutex
	wins := 0
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := ledgers[i%len(ledgers)].use(context.Background(), nonce, now, true, 1, now)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d claims of one (nonce, nc) won, want 1", wins)
	}
	// A higher nc is the phone going on; a lower one, or no qop, is not.
	if ok, _ := ledgers[1].use(context.Background(), nonce, now, true, 2, now); !ok {
		t.Fatal("nc=2 after nc=1 refused")
	}
	for _, c := range []struct {
		qop bool
		nc  int
	}{{true, 2}, {true, 1}, {false, 0}} {
		if ok, _ := ledgers[2].use(context.Background(), nonce, now, c.qop, c.nc, now); ok {
			t.Errorf("qop=%v nc=%d accepted after nc=2", c.qop, c.nc)
		}
	}
}

// BenchmarkNonceLedgerUse is the cost of counting one verified answer:
// this node's memory (standalone) against the shared PostgreSQL ledger
// (one upsert per verified REGISTER), measured in the same run.
func BenchmarkNonceLedgerUse(b *testing.B) {
	n := nonces{secret: []byte("s")}
	src := netip.MustParseAddr("127.0.0.2")
	run := func(b *testing.B, l nonceUses) {
		now := time.Now()
		for b.Loop() {
			if ok, err := l.use(context.Background(), n.issue(src, now), now, true, 1, now); !ok || err != nil {
				b.Fatalf("use: %v %v", ok, err)
			}
		}
	}
	b.Run("memory", func(b *testing.B) { run(b, memoryNonces{newNonceLedger()}) })
	b.Run("postgres", func(b *testing.B) { run(b, newSharedNonceLedger(pgRegistry{testenv.NewDB(b)})) })
}
