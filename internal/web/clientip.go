package web

import (
	"net"
	"net/http"
	"strings"
)

// ClientIP is the client's address without the port. Behind a trusted
// proxy, TrustProxy (enabled by TRUST_PROXY) has already put the forwarded
// address in RemoteAddr.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// TrustProxy takes the client address from the last X-Forwarded-For entry:
// the one our own proxy appended. Earlier entries are whatever the client
// sent and could be forged, which is why the leftmost one is never used.
// Enable it (TRUST_PROXY) only behind a proxy that appends the header.
func TrustProxy(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A proxy may add its own header line after the client's (HAProxy's
		// option forwardfor does), so the last entry of the last line.
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				r.RemoteAddr = net.JoinHostPort(ip.String(), "0")
			}
		}
		next.ServeHTTP(w, r)
	})
}
