package moderation

import (
	"crypto/rand"
	"math/big"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
)

// Web tracking codes avoid 0/O and 1/I so that they survive being read
// aloud, handwritten or typed on a feature phone. Hotline codes are digits
// only, so all ten digits are safe there.
const (
	codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	legacyDigits = "23456789"
	digits       = "0123456789"
)

// Lengths of the code formats. Hotline codes were 9 digits 2–9 (8^9 ≈
// 1.3·10^8, sweepable) until 12-digit codes replaced them; those stored
// keep working.
const (
	trackingCodeLen  = 8
	legacyNumericLen = 9
	numericCodeLen   = 12
)

// NewTrackingCode returns an 8-character code (32^8 ≈ 10^12 values).
func NewTrackingCode() string { return randomCode(codeAlphabet, trackingCodeLen) }

// NewNumericCode returns a hotline code: 11 random digits (the first not 0,
// so a spreadsheet or a number field keeps it whole; 9·10^10 values) and a
// Damm check digit, which catches every single mistyped digit and every
// swap of neighbours before any look-up. Digits only: the caller hears it
// and may type it on a keypad. Read it out in the groups of CodeGroups.
func NewNumericCode() string {
	body := randomCode(digits[1:], 1) + randomCode(digits, numericCodeLen-2)
	return body + string(dammDigit(body))
}

// dammTable is the quasigroup of order 10 of Damm's check-digit algorithm.
var dammTable = [10][10]byte{
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
	{7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	{4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	{6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
	{3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
	{8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	{9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}

// dammDigit is the check digit of a string of ASCII digits.
func dammDigit(s string) byte {
	var interim byte
	for i := 0; i < len(s); i++ {
		interim = dammTable[interim][s[i]-'0']
	}
	return '0' + interim
}

// CheckCode tells, without a database, whether a normalized code could
// have been issued: an 8-character web code, an old 9-digit hotline code,
// or a 12-digit hotline code whose check digit matches. Anything else is
// Invalid, so a mistyped or guessed code never costs a look-up.
func CheckCode(c string) error {
	switch {
	case len(c) == trackingCodeLen && only(c, codeAlphabet):
		return nil
	case len(c) == legacyNumericLen && only(c, legacyDigits):
		return nil
	case len(c) == numericCodeLen && only(c, digits):
		if dammDigit(c[:numericCodeLen-1]) != c[numericCodeLen-1] {
			return apperr.Invalidf("bad_check_digit", "this number has a typo: its last digit does not match; check each digit")
		}
		return nil
	}
	return apperr.Invalidf("bad_tracking_code", "this is not a tracking code: web codes have 8 letters and digits, hotline numbers 12 digits")
}

func only(s, alphabet string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(alphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// CodeGroups splits a code into the groups it is shown and read out in:
// 4+4+4 for hotline codes, 3+3+3 for the old ones, 4+4 for web codes.
func CodeGroups(c string) []string {
	size := 4
	if len(c)%4 != 0 && len(c)%3 == 0 {
		size = 3
	}
	var out []string
	for len(c) > size {
		out = append(out, c[:size])
		c = c[size:]
	}
	return append(out, c)
}

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
