package auth

import (
	"net"
	"time"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
)

// Input bounds, checked before any limiter, hash or log line sees the
// value: an e-mail address is at most 254 bytes (RFC 5321), and no
// passphrase needs more than 1 KiB.
const (
	maxLoginBytes    = 254
	maxPasswordBytes = 1024
	maxNameBytes     = 200
)

// Registrations per client address: enough for a family or a commune
// office sharing one address, far too few to mass-produce accounts.
const (
	maxRegistrationsPerIP = 10
	registrationWindow    = time.Hour
)

// checkCredentialSize refuses a login or password past the bounds.
func checkCredentialSize(login, password string) error {
	if len(login) > maxLoginBytes || len(password) > maxPasswordBytes {
		return apperr.Invalidf("credentials_too_long", "the login may have at most %d bytes and the password at most %d", maxLoginBytes, maxPasswordBytes)
	}
	return nil
}

// addressKey is the rate-limit identity of a client address. An IPv6
// client usually holds a whole /64, so that is what one address counts as.
func addressKey(ip string) string {
	parsed := net.ParseIP(ip)
	switch {
	case parsed == nil:
		return logField(ip)
	case parsed.To4() != nil:
		return parsed.String()
	default:
		return parsed.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
}

// maxLogField bounds a client-supplied value in a log line.
const maxLogField = 64

// logField is s cut to maxLogField bytes (on a rune boundary), marked when
// cut, so no client can make one log line large.
func logField(s string) string {
	if len(s) <= maxLogField {
		return s
	}
	cut := maxLogField
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
