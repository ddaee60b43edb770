package callcenter

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"syscall"
)

// rtpPorts hands out UDP sockets for RTP from a configured range. Ports are
// even (RTCP would take the odd one above) and drawn at random, so nobody
// can guess the port of the next call from the last one and spray it
// before the caller's media arrives. A port just released may come up
// again by chance; late packets of the old call are then dropped by the new
// session's address check. With min = 0 the kernel picks (tests).
type rtpPorts struct {
	ip       netip.Addr
	min, max int
}

var errNoRTPPort = errors.New("callcenter: no free RTP port")

func (p *rtpPorts) listen() (*net.UDPConn, error) {
	if p.min == 0 {
		return net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, 0)))
	}
	first := p.min + p.min%2
	n := (p.max-first)/2 + 1
	// Start at a random port and walk on from it past busy ones: the first
	// try is uniform over the range, and a nearly full range still finds
	// its last free port.
	start := rand.IntN(n)
	for i := range n {
		port := first + 2*((start+i)%n)
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, uint16(port))))
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w in %d-%d", errNoRTPPort, p.min, p.max)
}
