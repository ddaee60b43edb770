package web

import (
	"net"
	"net/http"
)

// ClientIP is the client's address without the port. Behind a trusted
// proxy, chi's RealIP middleware (enabled by TRUST_PROXY) has already put
// the forwarded address in RemoteAddr.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
