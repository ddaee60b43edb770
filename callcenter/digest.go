package callcenter

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/icholy/digest"
)

// DigestRealm is the realm of SIP digest authentication; users.sip_ha1 is
// md5(login:doithoai:sip-secret), the SIP secret being separate from the
// web password (`doithoai user sip-secret`).
const DigestRealm = "doithoai"

const nonceLifetime = 5 * time.Minute

// HA1 computes the stored digest secret for a SIP agent.
func HA1(login, secret string) string {
	return md5hex(login + ":" + DigestRealm + ":" + secret)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// nonces is this node's digest state. A nonce is its issue time, 8 random
// bytes and an HMAC over both and the address it was sent to: it is good
// only from that address, for nonceLifetime, and any node with the same
// secret can check it without storing challenges (so asking for challenges
// costs the node no memory). What is stored is created only after a
// digest verified: the (nonce, nc) pairs already used, so a captured
// REGISTER cannot be replayed, and the per-account guessing budget. The
// pairs are shared by every node when shared is set (PostgreSQL,
// digest_shared.go: an answer captured on its way to node A does not work
// on node B either); the budget stays in this node's memory.
type nonces struct {
	secret []byte
	shared nonceStore // nil: the used pairs are this node's alone

	once     sync.Once
	used     nonceUses
	accounts *accountGuard
}

// state creates the stores on first use (the engine builds nonces as a
// plain value).
func (n *nonces) state() (nonceUses, *accountGuard) {
	n.once.Do(func() {
		if n.shared != nil {
			n.used = newSharedNonceLedger(n.shared)
		} else {
			n.used = memoryNonces{newNonceLedger()}
		}
		n.accounts = newAccountGuard()
	})
	return n.used, n.accounts
}

const nonceLen = 8 + 8 + 16

func (n *nonces) issue(src netip.Addr, now time.Time) string {
	var b [nonceLen]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixNano()))
	_, _ = rand.Read(b[8:16])
	copy(b[16:], n.mac(b[:16], src))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// check reports whether nonce is one we sent to src, when it was issued,
// and whether it has expired (stale: the client may retry with a fresh
// nonce without asking the user).
func (n *nonces) check(nonce string, src netip.Addr, now time.Time) (issued time.Time, valid, stale bool) {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != nonceLen || !hmac.Equal(b[16:], n.mac(b[:16], src)) {
		return time.Time{}, false, false
	}
	issued = time.Unix(0, int64(binary.BigEndian.Uint64(b[:8])))
	if now.Sub(issued) > nonceLifetime || issued.After(now.Add(time.Minute)) {
		return issued, true, true
	}
	return issued, true, false
}

func (n *nonces) mac(b []byte, src netip.Addr) []byte {
	m := hmac.New(sha256.New, n.secret)
	m.Write(b)
	ip := src.Unmap().As16()
	m.Write(ip[:])
	return m.Sum(nil)[:16]
}

func (n *nonces) challenge(src netip.Addr, now time.Time, stale bool) string {
	c := digest.Challenge{Realm: DigestRealm, Nonce: n.issue(src, now), Algorithm: "MD5", QOP: []string{"auth"}, Stale: stale}
	return c.String()
}

// verifyDigest checks an Authorization header's response against HA1
// (RFC 2617 with and without qop=auth).
func verifyDigest(cred *digest.Credentials, method, ha1 string) bool {
	ha2 := md5hex(method + ":" + cred.URI)
	var want string
	switch cred.QOP {
	case "":
		want = md5hex(ha1 + ":" + cred.Nonce + ":" + ha2)
	case "auth":
		if cred.Nc < 1 || cred.Cnonce == "" {
			return false
		}
		want = md5hex(fmt.Sprintf("%s:%s:%08x:%s:auth:%s", ha1, cred.Nonce, cred.Nc, cred.Cnonce, ha2))
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(cred.Response)) == 1
}
