package contact

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPhoneVariantsAreOneNumber(t *testing.T) {
	for _, in := range []string{
		"0912 345 678", "+84912345678", "84912345678", "(+84) 912-345-678", "0912.345.678",
		" 0912345678 ", "+84 0912 345 678", "0084912345678",
	} {
		got, err := Phone(in)
		if err != nil || got != "+84912345678" {
			t.Errorf("Phone(%q) = %q, %v; want +84912345678", in, got, err)
		}
	}
}

func TestPhoneOtherCountriesKept(t *testing.T) {
	for in, want := range map[string]string{
		"+1 (415) 555-2671": "+14155552671",
		"+33 1 23 45 67 89": "+33123456789",
		"0033123456789":     "+33123456789",
		"+856 20 5555 1234": "+8562055551234",
		"024 3825 3536":     "+842438253536", // Hà Nội landline
	} {
		if got, err := Phone(in); err != nil || got != want {
			t.Errorf("Phone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestPhoneGarbageRejected(t *testing.T) {
	for _, in := range []string{
		"abc", "0912abc678", "12345", "912345678", "+", "++84912345678", "84+912345678",
		"0912 34", "+84 912 345 678 999", "+0912345678", "1234567890123456789", "091234567８",
		"840000000000", "+84 0 0912 345 678", // no subscriber number starts with 0 (found by FuzzPhone in CI)
	} {
		if got, err := Phone(in); !errors.Is(err, ErrBadPhone) {
			t.Errorf("Phone(%q) = %q, %v; want ErrBadPhone", in, got, err)
		}
	}
	if _, err := Phone("  "); !errors.Is(err, ErrEmpty) {
		t.Errorf("Phone(blank) = %v; want ErrEmpty", err)
	}
}

func TestEmail(t *testing.T) {
	for in, want := range map[string]string{
		"  Ten.Ho@Example.VN ": "ten.ho@example.vn",
		"a+b@mail.gov.vn":      "a+b@mail.gov.vn",
	} {
		if got, err := Email(in); err != nil || got != want {
			t.Errorf("Email(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"ten", "@example.vn", "ten@", "ten@example", "a@b@c.vn", "te n@example.vn",
		"ten@.example.vn", "ten@example..vn", "ten@example.vn.", "<ten@example.vn>", strings.Repeat("a", 65) + "@x.vn"} {
		if got, err := Email(in); !errors.Is(err, ErrBadEmail) {
			t.Errorf("Email(%q) = %q, %v; want ErrBadEmail", in, got, err)
		}
	}
}

func TestParseAndKeys(t *testing.T) {
	if k, v, err := Parse("0912 345 678"); k != KindPhone || v != "+84912345678" || err != nil {
		t.Errorf("Parse(phone) = %q %q %v", k, v, err)
	}
	if k, v, err := Parse("Ten@Example.vn"); k != KindEmail || v != "ten@example.vn" || err != nil {
		t.Errorf("Parse(email) = %q %q %v", k, v, err)
	}
	if _, _, err := Parse("Nguyễn Văn A"); !errors.Is(err, ErrBadFormat) {
		t.Errorf("Parse(name) = %v; want ErrBadFormat", err)
	}
	if p, e := Keys("Nguyễn Văn A"); p != "" || e != "" {
		t.Errorf("Keys(name) = %q %q; a display name is never a key", p, e)
	}
	if p, e := Keys("(+84) 912-345-678"); p != "+84912345678" || e != "" {
		t.Errorf("Keys(phone) = %q %q", p, e)
	}
}

// FuzzPhone: whatever comes in, a result is E.164 and normalising it again
// gives itself; the function never panics.
func FuzzPhone(f *testing.F) {
	for _, s := range []string{"0912 345 678", "+84912345678", "84912345678", "(+84) 912-345-678", "+1 415 555 2671", "abc", "", "00", "+", "840000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Phone(s)
		if err != nil {
			if got != "" {
				t.Fatalf("Phone(%q) = %q with error %v", s, got, err)
			}
			return
		}
		if len(got) < 9 || len(got) > 16 || got[0] != '+' || got[1] == '0' {
			t.Fatalf("Phone(%q) = %q: not E.164", s, got)
		}
		for _, r := range got[1:] {
			if r < '0' || r > '9' {
				t.Fatalf("Phone(%q) = %q: not digits", s, got)
			}
		}
		if again, err := Phone(got); err != nil || again != got {
			t.Fatalf("Phone(Phone(%q)) = %q, %v; want %q", s, again, err, got)
		}
	})
}

// FuzzEmail: a result is lower-case, trimmed, valid UTF-8 and stable.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{"Ten@Example.VN", "a@b.c", "@", "a@@b.c", " x@y.z "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Email(s)
		if err != nil {
			return
		}
		if got != strings.ToLower(got) || got != strings.TrimSpace(got) || !utf8.ValidString(got) || strings.Count(got, "@") != 1 {
			t.Fatalf("Email(%q) = %q", s, got)
		}
		if again, err := Email(got); err != nil || again != got {
			t.Fatalf("Email(Email(%q)) = %q, %v", s, again, err)
		}
	})
}
