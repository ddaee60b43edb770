package moderation

import (
	"crypto/rand"
	"math/big"
	"strings"
)

// Tracking codes avoid 0/O and 1/I so that they survive being read aloud,
// handwritten or typed on a feature phone.
const (
	codeAlphabet    = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	numericAlphabet = "23456789"
)

// NewTrackingCode returns an 8-character code (32^8 ≈ 10^12 values).
func NewTrackingCode() string { return randomCode(codeAlphabet, 8) }

// NewNumericCode returns a 9-digit code of digits 2–9 (8^9 ≈ 1.3·10^8), for
// the hotline, where the caller hears it digit by digit.
func NewNumericCode() string { return randomCode(numericAlphabet, 9) }

func randomCode(alphabet string, n int) string {
	var b strings.Builder
	max := big.NewInt(int64(len(alphabet)))
	for i := 0; i < n; i++ {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand does not fail on Linux
		}
		b.WriteByte(alphabet[v.Int64()])
	}
	return b.String()
}

// NormalizeCode upper-cases a typed code and drops spaces and dashes, and
// maps the look-alikes a person may type (O→0 is not in the alphabet, so
// O and 0 cannot both be meant; we take the letter-free reading).
func NormalizeCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-' || r == '.':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
