package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The address is the last entry our proxy added, whether it appended to
// the client's header line or added a line of its own (HAProxy).
func TestTrustProxyTakesTheLastHop(t *testing.T) {
	for name, lines := range map[string][]string{
		"one line":           {"6.6.6.6, 203.0.113.7"},
		"a line of its own":  {"6.6.6.6", "203.0.113.7"},
		"forged lines first": {"6.6.6.6, 7.7.7.7", "198.51.100.1, 203.0.113.7"},
	} {
		t.Run(name, func(t *testing.T) {
			var got string
			h := TrustProxy(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = ClientIP(r) }))
			r := httptest.NewRequest("GET", "/", nil)
			for _, l := range lines {
				r.Header.Add("X-Forwarded-For", l)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != "203.0.113.7" {
				t.Fatalf("client address %q, want 203.0.113.7", got)
			}
		})
	}
}
