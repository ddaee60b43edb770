package moderation

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// A tracking code arrives typed by hand (the track page, the reopen form)
// and is looked up as NormalizeCode gives it: the result must be stable,
// free of the separators people type, and every code we issue must survive
// being typed back in lower case with spaces and dashes.
func FuzzNormalizeCode(f *testing.F) {
	f.Add("ab3k-7qzp", "23456789")
	f.Add(" 2345 6789 2 ", "ABCDEFGH")
	f.Fuzz(func(t *testing.T, typed, issuedSeed string) {
		got := NormalizeCode(typed)
		if NormalizeCode(got) != got {
			t.Fatalf("NormalizeCode(%q) = %q is not stable: %q", typed, got, NormalizeCode(got))
		}
		if strings.ContainsAny(got, " -.") {
			t.Fatalf("NormalizeCode(%q) = %q keeps a separator", typed, got)
		}
		if !utf8.ValidString(got) || strings.ToUpper(got) != got {
			t.Fatalf("NormalizeCode(%q) = %q: want valid upper-case UTF-8", typed, got)
		}
		if len(got) > 3*len(typed) {
			t.Fatalf("NormalizeCode(%q) = %q grew more than 3x", typed, got)
		}

		// Turn the second input into a code we could have issued, then
		// type it back the way a person might.
		for _, alphabet := range []string{codeAlphabet, digits} {
			var issued strings.Builder
			for i := 0; i < len(issuedSeed) && i < 12; i++ {
				issued.WriteByte(alphabet[int(issuedSeed[i])%len(alphabet)])
			}
			code := issued.String()
			var sloppy strings.Builder
			for i, r := range strings.ToLower(code) {
				if i > 0 && typed != "" {
					sloppy.WriteByte(" -."[int(typed[i%len(typed)])%3])
				}
				sloppy.WriteRune(r)
			}
			if back := NormalizeCode(sloppy.String()); back != code {
				t.Fatalf("issued %q, typed %q, normalized to %q", code, sloppy.String(), back)
			}
		}
	})
}

// Issued codes must already be in normal form, or a lookup of the code as
// printed would miss.
func TestIssuedCodesAreNormal(t *testing.T) {
	for range 1000 {
		for _, c := range []string{NewTrackingCode(), NewNumericCode()} {
			if NormalizeCode(c) != c {
				t.Fatalf("issued %q is not in normal form", c)
			}
		}
	}
}
