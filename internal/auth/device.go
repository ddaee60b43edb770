package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Device cookies (OWASP "Slow Down Online Guessing with Device Cookies"):
// a browser that logged in as an account gets a signed cookie naming that
// login; presenting it later, the browser is judged by its own failure
// budget instead of the account's shared one, so an attacker elsewhere who
// exhausts the shared budget does not lock the owner out.
const (
	DeviceCookie    = "device"
	deviceTTL       = 180 * 24 * time.Hour
	maxDeviceCookie = 512 // a real one is ~150 bytes plus the login
)

// deviceSigner issues and checks device cookies with an HMAC key.
type deviceSigner struct {
	key []byte
	now func() time.Time
}

var b64 = base64.RawURLEncoding

// issue returns a fresh cookie value for login (case-folded): version,
// login, random device id, expiry and the HMAC-SHA256 of all four.
func (d deviceSigner) issue(login string) string {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	payload := "v1." + b64.EncodeToString([]byte(login)) + "." + b64.EncodeToString(id) + "." + strconv.FormatInt(d.now().Add(deviceTTL).Unix(), 10)
	return payload + "." + b64.EncodeToString(d.mac(payload))
}

// verify returns the device id of value when it is a cookie this server
// signed for login and not yet expired.
func (d deviceSigner) verify(value, login string) (id string, ok bool) {
	if value == "" || len(value) > maxDeviceCookie {
		return "", false
	}
	cut := strings.LastIndexByte(value, '.')
	if cut < 0 {
		return "", false
	}
	payload := value[:cut]
	sig, err := b64.DecodeString(value[cut+1:])
	if err != nil || !hmac.Equal(sig, d.mac(payload)) {
		return "", false
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 4 || parts[0] != "v1" {
		return "", false
	}
	name, err := b64.DecodeString(parts[1])
	expires, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || err2 != nil || string(name) != login || d.now().Unix() >= expires {
		return "", false
	}
	return parts[2], true
}

func (d deviceSigner) mac(payload string) []byte {
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte("doithoai device cookie\x00" + payload))
	return m.Sum(nil)
}
