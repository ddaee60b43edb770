package callcenter

import (
	"testing"
	"time"

	"github.com/icholy/digest"
)

func TestDigestVerify(t *testing.T) {
	n := nonces{secret: []byte("s")}
	now := time.Now()
	chal, err := digest.ParseChallenge(n.challenge(now, false))
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
	if ok, stale := n.check(chal.Nonce, now.Add(time.Minute)); !ok || stale {
		t.Errorf("fresh nonce: ok %v stale %v", ok, stale)
	}
	if ok, stale := n.check(chal.Nonce, now.Add(10*time.Minute)); !ok || !stale {
		t.Errorf("old nonce: ok %v stale %v", ok, stale)
	}
	if ok, _ := (nonces{secret: []byte("other")}).check(chal.Nonce, now); ok {
		t.Error("nonce from another secret accepted")
	}
}
