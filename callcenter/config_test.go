package callcenter

import (
	"net/netip"
	"testing"
)

// The variables are read and checked by internal/config (hotline_test.go);
// here: a trusted source matches by prefix, IPv4-mapped addresses included.
func TestConfigTrustedSource(t *testing.T) {
	t.Parallel()
	c := Config{TrustedSources: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("2001:db8::/32")}}
	for ip, want := range map[string]bool{"10.1.2.3": true, "::ffff:10.1.2.3": true, "192.0.2.7": true, "192.0.2.8": false, "2001:db8::5": true, "11.0.0.1": false} {
		if got := c.trustedSource(netip.MustParseAddr(ip)); got != want {
			t.Errorf("trustedSource(%s) = %v, want %v", ip, got, want)
		}
	}
}
