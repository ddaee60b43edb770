package auth

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"golang.org/x/crypto/argon2"
	"golang.org/x/sync/semaphore"
)

// argon2id parameters (RFC 9106's second recommended set, lighter memory so
// a 2-core node can take a burst of logins).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// hashSlots admits one argon2id run per core (GOMAXPROCS at start): each
// holds 64 MiB and a core for a fraction of a second, so running more at
// once only multiplies memory and everyone's latency.
var hashSlots = semaphore.NewWeighted(int64(runtime.GOMAXPROCS(0)))

// hashWait is the longest a hash or check waits for a slot; past it the
// caller gets errBusy (429 with Retry-After) instead of a stalled request.
const hashWait = 10 * time.Second

// busyRetry is the Retry-After of errBusy: about one slot's queue drained.
const busyRetry = 5 * time.Second

// errBusy is the answer when every hashing slot stayed taken for hashWait.
func errBusy() *apperr.Error {
	return &apperr.Error{Kind: apperr.TooMany, Code: "busy", Message: "the server is busy; try again in a few seconds", RetryAfter: busyRetry}
}

// withHashSlot runs f in a hashing slot, giving up when ctx ends or after
// hashWait.
func withHashSlot(ctx context.Context, f func()) error {
	ctx, cancel := context.WithTimeout(ctx, hashWait)
	defer cancel()
	if err := hashSlots.Acquire(ctx, 1); err != nil {
		return errBusy()
	}
	defer hashSlots.Release(1)
	hashStarted()
	defer hashDone()
	f()
	return nil
}

// HashPassword returns a PHC-format argon2id hash (see HashPasswordContext).
func HashPassword(password string) (string, error) {
	return HashPasswordContext(context.Background(), password)
}

// HashPasswordContext returns a PHC-format argon2id hash, or errBusy when
// no hashing slot frees up in time.
func HashPasswordContext(ctx context.Context, password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	var key []byte
	if err := withHashSlot(ctx, func() {
		key = argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	}); err != nil {
		return "", err
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a hash from HashPassword
// (see CheckPasswordContext).
func CheckPassword(hash, password string) (bool, error) {
	return CheckPasswordContext(context.Background(), hash, password)
}

// CheckPasswordContext reports whether password matches a hash from
// HashPassword, or errBusy when no hashing slot frees up in time.
func CheckPasswordContext(ctx context.Context, hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("unsupported password hash")
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, fmt.Errorf("password hash parameters: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, err
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, err
	}
	var got []byte
	if err := withHashSlot(ctx, func() { got = argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want))) }); err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// SIPRealm is the digest realm of the hotline's REGISTER.
const SIPRealm = "doithoai"

// SIPHA1 is md5(login:realm:secret), what SIP digest auth needs stored.
// MD5 is the protocol's choice (RFC 2617/3261), not ours; that is why the
// secret is a random one of the agent's phone, never the web password.
func SIPHA1(login, secret string) string {
	sum := md5.Sum([]byte(login + ":" + SIPRealm + ":" + secret))
	return hex.EncodeToString(sum[:])
}

// sipSecretAlphabet has no characters that are easily confused when read
// off a screen and typed into a phone (0/o, 1/l/i).
const sipSecretAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

// sipSecretLen characters of 31 give 99 bits: beyond guessing, and beyond
// cracking a captured digest's MD5.
const sipSecretLen = 20

// NewSIPSecret returns a random SIP secret from crypto/rand.
func NewSIPSecret() string {
	b := make([]byte, sipSecretLen)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(sipSecretAlphabet))))
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		b[i] = sipSecretAlphabet[n.Int64()]
	}
	return string(b)
}

// dummyHash is checked against when the login does not exist, so a wrong
// login takes as long as a wrong password and does not reveal accounts.
var dummyHash, _ = HashPassword("not-a-real-password")
