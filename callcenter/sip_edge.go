package callcenter

import (
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// A SIP edge (Kamailio, deploy/kamailio/) relays agents' REGISTERs with a
// Path header (RFC 3327) whose received parameter is the phone's address
// as the edge saw it (add_path_received). Requests for the agent then go
// to the edge with that Path as their Route, and the edge reaches the
// phone through its NAT binding. Only an edge listed in
// HOTLINE_TRUSTED_SOURCES is believed; anyone else's Path is ignored.

// registerOrigin is the address a REGISTER is accounted to (digest nonces
// are bound to it, per-source budgets count it) and the route set towards
// the phone. Directly from a phone: its source address and no route.
// Through a trusted edge: the phone's address from the Path's received
// parameter (so issue 9's per-source protections still see each phone)
// and the Path URIs.
func (e *engine) registerOrigin(req *sip.Request) (netip.Addr, []string) {
	src := sourceIP(req)
	if !e.cfg.trustedSource(src) {
		return src, nil
	}
	var path []string
	for _, h := range req.GetHeaders("Path") {
		for _, v := range splitHeaderList(h.Value()) {
			if v = strings.TrimSpace(v); v != "" {
				path = append(path, v)
			}
		}
	}
	if len(path) == 0 {
		return src, nil
	}
	// The hop nearest the phone is the last Path (each proxy adds its own
	// on top); its received parameter is the phone's address.
	if ip, ok := pathReceived(path[len(path)-1]); ok {
		src = ip
	}
	return src, path
}

// splitHeaderList splits a comma list of name-addrs, keeping commas
// inside <…> and quotes.
func splitHeaderList(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"' && (i == 0 || v[i-1] != '\\'):
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>':
			depth--
		case c == ',' && depth == 0:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// pathReceived reads the received parameter of one Path value
// (<sip:edge;lr;received=sip:203.0.113.7:5060%3Btransport%3Dudp>).
func pathReceived(p string) (netip.Addr, bool) {
	var uri sip.Uri
	if err := sip.ParseUri(strings.Trim(strings.TrimSpace(p), "<>"), &uri); err != nil {
		return netip.Addr{}, false
	}
	v, ok := uri.UriParams.Get("received")
	if !ok {
		return netip.Addr{}, false
	}
	if u, err := url.PathUnescape(v); err == nil {
		v = u
	}
	v = strings.TrimPrefix(strings.TrimPrefix(v, "sips:"), "sip:")
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	host := v
	if h, _, err := net.SplitHostPort(v); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// routeThroughPath makes req go through the Path an edge recorded: the
// first hop is the destination, every Path URI a Route header. It reports
// false (req unchanged) if the first hop cannot be read.
func routeThroughPath(req *sip.Request, path []string) bool {
	if len(path) == 0 {
		return false
	}
	var first sip.Uri
	if err := sip.ParseUri(strings.Trim(strings.TrimSpace(path[0]), "<>"), &first); err != nil {
		return false
	}
	port := first.Port
	if port == 0 {
		port = 5060
	}
	req.SetDestination(net.JoinHostPort(first.Host, itoa(port)))
	tp := "UDP"
	if v, ok := first.UriParams.Get("transport"); ok {
		tp = strings.ToUpper(v)
	}
	req.SetTransport(tp)
	for _, p := range path {
		req.AppendHeader(sip.NewHeader("Route", strings.TrimSpace(p)))
	}
	return true
}
