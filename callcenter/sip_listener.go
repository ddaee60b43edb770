package callcenter

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// The SIP TCP listener is wrapped before sipgo sees it, because sipgo's
// accept loop returns on the first error (EMFILE included) and its
// connections have no read deadline. The wrapper
//
//   - never returns an accept error except "listener closed": it backs off
//     and tries again, so running out of descriptors cannot stop the node;
//   - admits at most SIPTCPMaxConns connections, SIPTCPMaxPerIP of them from
//     one source, and closes the others at once;
//   - closes a connection whose message (or first message) is not complete
//     within SIPTCPMessageTimeout (slow or trickled requests), and one with
//     no traffic for SIPTCPIdleTimeout unless a live registration, call or
//     agent leg uses it: agents registered over TCP are rung over their
//     own connection (sipgo pools connections by address), so that
//     connection must outlive a quiet hour.
//
// Writes get a deadline too, so a peer that stops reading cannot hold a
// handler or a transaction forever.
const (
	sipTCPWriteTimeout = 10 * time.Second
	acceptBackoffMin   = 5 * time.Millisecond
	acceptBackoffMax   = time.Second
)

// tcpGate is the admission and accounting shared by the successive TCP
// listeners of one engine (a listener that is lost is reopened; the
// connections it accepted stay counted).
type tcpGate struct {
	maxConns, maxPerSource int
	messageTimeout         time.Duration
	idleTimeout            time.Duration
	inUse                  func(raddr string) bool // a registration, call or leg runs over raddr
	log                    *slog.Logger
	m                      *transportMetrics

	mu        sync.Mutex
	total     int
	perSource map[netip.Prefix]int
	conns     map[string]*sipConn // by remote address as sipgo names it (conn.RemoteAddr().String())
}

func newTCPGate(cfg Config, inUse func(string) bool, log *slog.Logger, m *transportMetrics) *tcpGate {
	return &tcpGate{
		maxConns: cfg.SIPTCPMaxConns, maxPerSource: cfg.SIPTCPMaxPerIP,
		messageTimeout: cfg.SIPTCPMessageTimeout, idleTimeout: cfg.SIPTCPIdleTimeout,
		inUse: inUse, log: log, m: m,
		perSource: map[netip.Prefix]int{}, conns: map[string]*sipConn{},
	}
}

// sourceKey groups addresses that one party controls: an IPv4 address, or
// an IPv6 /64 (one subscriber's LAN). IPv4-mapped IPv6 counts as IPv4.
func sourceKey(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// admit counts c in, or returns the reason it is refused.
func (g *tcpGate) admit(c *sipConn) (refused string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.total >= g.maxConns:
		return "budget"
	case g.perSource[c.source] >= g.maxPerSource:
		return "per_source"
	}
	g.total++
	g.perSource[c.source]++
	g.conns[c.raddr] = c
	g.m.tcpConns.Set(float64(g.total))
	return ""
}

func (g *tcpGate) release(c *sipConn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.total--
	if g.perSource[c.source]--; g.perSource[c.source] <= 0 {
		delete(g.perSource, c.source)
	}
	if g.conns[c.raddr] == c {
		delete(g.conns, c.raddr)
	}
	g.m.tcpConns.Set(float64(g.total))
}

// messageDone is told by the transport layer that a whole SIP message came
// in from raddr over TCP. sipgo calls it on the goroutine reading that
// connection, between two of its reads.
func (g *tcpGate) messageDone(raddr string) {
	g.mu.Lock()
	c := g.conns[raddr]
	g.mu.Unlock()
	if c != nil {
		c.pendingSince.Store(0)
		c.touch()
	}
}

// sipListener is the TCP listener handed to sipgo's ServeTCP.
type sipListener struct {
	*net.TCPListener
	gate *tcpGate
}

// Accept returns the next admitted connection. It fails only when the
// listener is closed; other errors (EMFILE, ENFILE, ECONNABORTED …) are
// logged and retried after a growing pause, as net/http does.
func (l *sipListener) Accept() (net.Conn, error) {
	var backoff time.Duration
	var lastLog time.Time
	for {
		tc, err := l.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			l.gate.m.acceptErrors.Inc()
			backoff = min(max(2*backoff, acceptBackoffMin), acceptBackoffMax)
			if time.Since(lastLog) > 10*time.Second {
				l.gate.log.Error("hotline: SIP TCP accept failed; retrying", "err", err, "backoff", backoff)
				lastLog = time.Now()
			}
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		c := l.gate.wrap(tc)
		if reason := l.gate.admit(c); reason != "" {
			l.gate.m.tcpClosed.WithLabelValues(reason).Inc()
			l.gate.log.Debug("hotline: SIP TCP connection refused", "reason", reason, "remote", c.raddr)
			tc.Close()
			continue
		}
		return c, nil
	}
}

// sipConn is an accepted SIP TCP connection with the message and idle
// deadlines. Read is called by sipgo's reader goroutine only; Write by any
// goroutine; the timestamps are atomic for that reason.
type sipConn struct {
	*net.TCPConn
	gate   *tcpGate
	raddr  string
	source netip.Prefix

	lastActive   atomic.Int64 // unix ns of the last byte in either direction
	pendingSince atomic.Int64 // unix ns a message began arriving; 0: between messages
	closeOnce    sync.Once
}

func (g *tcpGate) wrap(tc *net.TCPConn) *sipConn {
	c := &sipConn{TCPConn: tc, gate: g, raddr: tc.RemoteAddr().String()}
	c.source = sourceKey(tc.RemoteAddr().(*net.TCPAddr).AddrPort().Addr())
	now := time.Now().UnixNano()
	c.lastActive.Store(now)
	c.pendingSince.Store(now) // a client connects to send: the first message is due at once
	return c
}

func (c *sipConn) touch() { c.lastActive.Store(time.Now().UnixNano()) }

// deadline is when the connection is closed if nothing changes, and why.
func (c *sipConn) deadline() (time.Time, string) {
	d, why := time.Unix(0, c.lastActive.Load()).Add(c.gate.idleTimeout), "idle"
	if p := c.pendingSince.Load(); p != 0 {
		if md := time.Unix(0, p).Add(c.gate.messageTimeout); md.Before(d) {
			d, why = md, "message_timeout"
		}
	}
	return d, why
}

func (c *sipConn) Read(b []byte) (int, error) {
	for {
		dl, why := c.deadline()
		if !time.Now().Before(dl) {
			if why == "idle" && c.gate.inUse(c.raddr) {
				c.touch() // registered agent or live call: keep the connection
				continue
			}
			c.gate.m.tcpClosed.WithLabelValues(why).Inc()
			c.gate.log.Debug("hotline: closing SIP TCP connection", "reason", why, "remote", c.raddr)
			return 0, io.EOF // sipgo closes the connection on EOF
		}
		c.TCPConn.SetReadDeadline(dl)
		n, err := c.TCPConn.Read(b)
		if n > 0 {
			c.received(b[:n])
			if isTimeout(err) {
				err = nil
			}
			return n, err
		}
		if !isTimeout(err) {
			return n, err
		}
		// The deadline passed: loop to recheck it (a write or a finished
		// message may have moved it).
	}
}

// received notes traffic. Bytes other than a CRLF keep-alive between
// messages (RFC 5626 §3.5.1) start the message clock.
func (c *sipConn) received(data []byte) {
	c.touch()
	if c.pendingSince.Load() != 0 || isKeepAlive(data) {
		return
	}
	c.pendingSince.Store(time.Now().UnixNano())
}

func isKeepAlive(data []byte) bool {
	for _, b := range data {
		if b != '\r' && b != '\n' {
			return false
		}
	}
	return true
}

func (c *sipConn) Write(b []byte) (int, error) {
	c.TCPConn.SetWriteDeadline(time.Now().Add(sipTCPWriteTimeout))
	n, err := c.TCPConn.Write(b)
	if n > 0 {
		c.touch()
	}
	return n, err
}

func (c *sipConn) Close() error {
	err := c.TCPConn.Close()
	c.closeOnce.Do(func() { c.gate.release(c) })
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
