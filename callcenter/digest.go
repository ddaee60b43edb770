package callcenter

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/icholy/digest"
)

// DigestRealm is the realm of SIP digest authentication; users.sip_ha1 is
// md5(login:doithoai:password).
const DigestRealm = "doithoai"

const nonceLifetime = 5 * time.Minute

// HA1 computes the stored digest secret for a SIP agent.
func HA1(login, password string) string {
	return md5hex(login + ":" + DigestRealm + ":" + password)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// nonces are stateless: the issue time plus an HMAC of it, so any node with
// the same secret can check them and nothing has to be stored per challenge.
type nonces struct{ secret []byte }

func (n nonces) issue(now time.Time) string {
	var b [8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixNano()))
	copy(b[8:], n.mac(b[:8]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// check reports whether nonce is ours, and whether it has expired (stale:
// the client may retry with a fresh nonce without asking the user).
func (n nonces) check(nonce string, now time.Time) (valid, stale bool) {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 24 || !hmac.Equal(b[8:], n.mac(b[:8])) {
		return false, false
	}
	issued := time.Unix(0, int64(binary.BigEndian.Uint64(b[:8])))
	if now.Sub(issued) > nonceLifetime || issued.After(now.Add(time.Minute)) {
		return true, true
	}
	return true, false
}

func (n nonces) mac(b []byte) []byte {
	m := hmac.New(sha256.New, n.secret)
	m.Write(b)
	return m.Sum(nil)[:16]
}

func (n nonces) challenge(now time.Time, stale bool) string {
	c := digest.Challenge{Realm: DigestRealm, Nonce: n.issue(now), Algorithm: "MD5", QOP: []string{"auth"}, Stale: stale}
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
		want = md5hex(fmt.Sprintf("%s:%s:%08x:%s:auth:%s", ha1, cred.Nonce, cred.Nc, cred.Cnonce, ha2))
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(cred.Response)) == 1
}
