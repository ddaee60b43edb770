package moderation

import (
	"strings"
	"testing"

	"github.com/doithoai/doithoai/internal/apperr"
)

func TestHotlineCodeFormat(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		c := NewNumericCode()
		if len(c) != 12 || strings.Trim(c, "0123456789") != "" || c[0] == '0' {
			t.Fatalf("hotline code %q: want 12 digits, not starting with 0", c)
		}
		if dammDigit(c[:11]) != c[11] {
			t.Fatalf("hotline code %q: last digit is not the Damm check digit of the first 11", c)
		}
		if err := CheckCode(c); err != nil {
			t.Fatalf("CheckCode(%q) = %v", c, err)
		}
		if seen[c] {
			t.Fatalf("code %q drawn twice in 2000: not random enough", c)
		}
		seen[c] = true
	}
}

// The check digit catches every single wrong digit and every swap of two
// neighbours, the mistakes of someone writing a number down or typing it.
func TestHotlineCheckDigitCatchesTypos(t *testing.T) {
	for i := 0; i < 200; i++ {
		c := []byte(NewNumericCode())
		for pos := range c {
			orig := c[pos]
			for d := byte('0'); d <= '9'; d++ {
				if d == orig {
					continue
				}
				c[pos] = d
				if CheckCode(string(c)) == nil {
					t.Fatalf("%s (digit %d changed) passes the check", c, pos)
				}
			}
			c[pos] = orig
		}
		for pos := 0; pos+1 < len(c); pos++ {
			if c[pos] == c[pos+1] {
				continue
			}
			c[pos], c[pos+1] = c[pos+1], c[pos]
			if CheckCode(string(c)) == nil {
				t.Fatalf("%s (digits %d,%d swapped) passes the check", c, pos, pos+1)
			}
			c[pos], c[pos+1] = c[pos+1], c[pos]
		}
	}
	// The published example of the Damm algorithm: 572 → 4.
	if d := dammDigit("572"); d != '4' {
		t.Fatalf("Damm digit of 572 = %c, want 4", d)
	}
}

func TestCheckCode(t *testing.T) {
	for code, want := range map[string]string{
		NewTrackingCode(): "",                  // web codes
		"234567892":       "",                  // hotline tickets of earlier releases
		"123456789018":    "",                  // 12 digits, good check digit
		"123456789013":    "bad_check_digit",   // one digit off
		"12345678901":     "bad_tracking_code", // 11 digits
		"234567891":       "bad_tracking_code", // 9 digits with a 1: never issued
		"ABCDEFG0":        "bad_tracking_code", // 0 is not in the alphabet
		"ABCDEFGH2":       "bad_tracking_code",
		"":                "bad_tracking_code",
		"Đ2345678":        "bad_tracking_code",
	} {
		err := CheckCode(code)
		if want == "" {
			if err != nil {
				t.Errorf("CheckCode(%q) = %v, want nil", code, err)
			}
			continue
		}
		if e := apperr.As(err); err == nil || e.Kind != apperr.Invalid || e.Code != want {
			t.Errorf("CheckCode(%q) = %v, want Invalid %s", code, err, want)
		}
	}
}

func TestCodeGroups(t *testing.T) {
	for code, want := range map[string]string{
		"123456789018": "1234 5678 9018",
		"234567892":    "234 567 892",
		"ABCD2345":     "ABCD 2345",
		"12":           "12",
	} {
		if got := strings.Join(CodeGroups(code), " "); got != want {
			t.Errorf("CodeGroups(%q) = %q, want %q", code, got, want)
		}
	}
	if NormalizeCode("1234 5678-9018") != "123456789018" {
		t.Error("a grouped code does not normalize back")
	}
}
