package auth

import (
	"strings"
	"testing"
)

func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7":              "203.0.113.7",
		"::ffff:203.0.113.7":       "203.0.113.7",
		"2001:db8:1:2:aaaa::1":     "2001:db8:1:2::/64",
		"2001:db8:1:2:bbbb:cc::99": "2001:db8:1:2::/64",
		"not an address":           "not an address",
	} {
		if got := addressKey(in); got != want {
			t.Errorf("addressKey(%q) = %q, want %q", in, got, want)
		}
	}
	if got := addressKey(strings.Repeat("x", 10_000)); len(got) > maxLogField+len("…") {
		t.Errorf("an unparsable address kept %d bytes", len(got))
	}
}

func TestLogField(t *testing.T) {
	if got := logField("mod1"); got != "mod1" {
		t.Errorf("short value changed: %q", got)
	}
	long := strings.Repeat("đ", 100) // two bytes each: a cut must not split one
	got := logField(long)
	if len(got) > maxLogField+len("…") || !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("logField(long) = %q", got)
	}
}
