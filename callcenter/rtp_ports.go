package callcenter

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
)

// rtpPorts hands out UDP sockets for RTP from a configured range. Ports are
// even (RTCP would take the odd one above) and tried round-robin so a port
// just released is not reused at once, which keeps late packets of an old
// call out of a new one. With min = 0 the kernel picks (tests).
type rtpPorts struct {
	ip       netip.Addr
	min, max int
	next     atomic.Uint32
}

var errNoRTPPort = errors.New("callcenter: no free RTP port")

func (p *rtpPorts) listen() (*net.UDPConn, error) {
	if p.min == 0 {
		return net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, 0)))
	}
	n := (p.max-p.min)/2 + 1
	for range min(n, 200) {
		port := p.min + 2*int(p.next.Add(1)%uint32(n))
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, uint16(port))))
		if err == nil {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w in %d-%d", errNoRTPPort, p.min, p.max)
}
