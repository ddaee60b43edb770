package callcenter

import (
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/icholy/digest"
)

func TestDigestVerify(t *testing.T) {
	n := &nonces{secret: []byte("s")}
	now := time.Now()
	phone := netip.MustParseAddr("127.0.0.2")
	chal, err := digest.ParseChallenge(n.challenge(phone, now, false))
	if err != nil {
		t.Fatal(err)
	}
	for _, qop := range []bool{true, false} {
		c := *chal
		if !qop {
			c.QOP = nil
		}
		cred, err := digest.Digest(&c, digest.Options{Method: "REGISTER", URI: "sip:127.0.0.1", Username: "lan", Password: "pw", Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := digest.ParseCredentials(cred.String())
		if err != nil {
			t.Fatal(err)
		}
		if !verifyDigest(parsed, "REGISTER", HA1("lan", "pw")) {
			t.Errorf("qop=%v: good password rejected", qop)
		}
		if verifyDigest(parsed, "REGISTER", HA1("lan", "wrong")) {
			t.Errorf("qop=%v: wrong password accepted", qop)
		}
		if verifyDigest(parsed, "INVITE", HA1("lan", "pw")) {
			t.Errorf("qop=%v: response replayed for another method", qop)
		}
	}
	if _, ok, stale := n.check(chal.Nonce, phone, now.Add(time.Minute)); !ok || stale {
		t.Errorf("fresh nonce: ok %v stale %v", ok, stale)
	}
	if _, ok, stale := n.check(chal.Nonce, phone, now.Add(10*time.Minute)); !ok || !stale {
		t.Errorf("old nonce: ok %v stale %v", ok, stale)
	}
	if _, ok, _ := n.check(chal.Nonce, netip.MustParseAddr("127.0.0.3"), now); ok {
		t.Error("nonce accepted from an address it was not sent to")
	}
	if _, ok, _ := (&nonces{secret: []byte("other")}).check(chal.Nonce, phone, now); ok {
		t.Error("nonce from another secret accepted")
	}
}

// TestNonceLedgerBounded: a full ledger forgets old nonces by counting
// them as spent, never by letting them be used again.
func TestNonceLedgerBounded(t *testing.T) {
	l := newNonceLedger()
	now := time.Now()
	first := now.Add(-time.Minute)
	if !l.use("first", first, true, 1, now) {
		t.Fatal("first use refused")
	}
	for i := range nonceLedgerMax + 5 {
		if !l.use(strconv.Itoa(i), now.Add(time.Duration(i)), true, 1, now) {
			t.Fatalf("use %d refused", i)
		}
	}
	if len(l.seen) > nonceLedgerMax {
		t.Fatalf("ledger holds %d entries, max %d", len(l.seen), nonceLedgerMax)
	}
	if l.use("first", first, true, 2, now) || !l.spent("first", first, true, 9) {
		t.Error("an evicted nonce can be used again")
	}
}
