package auth

import (
	"strings"
	"testing"
)

// TestSafeNext: only clean paths on this site survive; every known way of
// smuggling another host past a "starts with one slash" check is refused.
func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/console", "/console"},
		{"/hoi/123-dat-dai?tab=answers#a1", "/hoi/123-dat-dai?tab=answers#a1"},
		{"/tra-cuu?code=%2F%2Fevil", "/tra-cuu?code=%2F%2Fevil"},
		{"/", "/"},
		{"", ""},
		{"console", ""},
		{"//evil.example", ""},
		{"///evil.example", ""},
		{"/\t/evil.example", ""},
		{"/\n/evil.example", ""},
		{"/\r\n/evil.example", ""},
		{"/\x00/evil.example", ""},
		{"/\x7f/evil.example", ""},
		{"/ /evil.example", ""},
		{" /evil.example", ""},
		{"\t//evil.example", ""},
		{"/\\evil.example", ""},
		{"\\\\evil.example", ""},
		{"/.\\evil.example", ""},
		{"/path\\..\\..\\evil", ""},
		{"https://evil.example", ""},
		{"https:/evil.example", ""},
		{"javascript:alert(1)", ""},
		{"/" + strings.Repeat("a", 4096), ""},
	} {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%.80q) = %.80q, want %q", tc.in, got, tc.want)
		}
	}
}
