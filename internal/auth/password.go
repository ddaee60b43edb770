package auth

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters (RFC 9106's second recommended set, lighter memory so
// a 2-core node can take a burst of logins).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// HashPassword returns a PHC-format argon2id hash.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	hashStarted()
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	hashDone()
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a hash from HashPassword.
func CheckPassword(hash, password string) (bool, error) {
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
	hashStarted()
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	hashDone()
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// SIPRealm is the digest realm of the hotline's REGISTER.
const SIPRealm = "doithoai"

// SIPHA1 is md5(login:realm:password), what SIP digest auth needs stored.
// MD5 is the protocol's choice (RFC 2617/3261), not ours.
func SIPHA1(login, password string) string {
	sum := md5.Sum([]byte(login + ":" + SIPRealm + ":" + password))
	return hex.EncodeToString(sum[:])
}

// dummyHash is checked against when the login does not exist, so a wrong
// login takes as long as a wrong password and does not reveal accounts.
var dummyHash, _ = HashPassword("not-a-real-password")
