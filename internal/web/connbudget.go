package web

import (
	"container/list"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
)

// ConnBudget caps the connections one HTTP listener holds open, WebSockets
// included, so that HTTP cannot use up the descriptors the SIP listener,
// the database pool and the RTP sockets need (and the other way round).
//
// A connection past the budget is not queued: netutil.LimitListener would
// stop calling accept, the kernel backlog would fill with clients that get
// no answer until they time out, and a flood of silent connections would
// keep it that way. Instead:
//   - if an open connection is idle (accepted but no request yet, or
//     keep-alive between requests), the oldest such one is closed and the
//     newcomer takes its place: an idle connection may be closed at any time
//     (RFC 9112 §9.8) and clients retry, while a silent flood cannot keep out
//     a client that has a request to send;
//   - otherwise (the budget is all requests in progress, event streams and
//     WebSockets) the newcomer is closed at once, so it fails fast and can
//     retry, and accept keeps draining the backlog.
//
// Wire it with Listener around the listener and ConnState as the
// http.Server's ConnState hook.
type ConnBudget struct {
	max int

	mu    sync.Mutex
	open  int        // connections accepted and not yet closed
	idle  *list.List // of *budgetConn that may be evicted, oldest first
	shed  atomic.Uint64
	evict atomic.Uint64
}

// NewConnBudget returns a budget of max connections (max ≥ 1).
func NewConnBudget(max int) *ConnBudget {
	if max < 1 {
		max = 1
	}
	return &ConnBudget{max: max, idle: list.New()}
}

// Max is the budget.
func (b *ConnBudget) Max() int { return b.max }

// Open is the number of connections held now.
func (b *ConnBudget) Open() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open
}

// Shed counts connections closed at accept because the budget was full of
// busy ones; Evicted counts idle connections closed to make room.
func (b *ConnBudget) Shed() uint64    { return b.shed.Load() }
func (b *ConnBudget) Evicted() uint64 { return b.evict.Load() }

// Listener wraps ln so that it hands out at most Max connections at a time.
func (b *ConnBudget) Listener(ln net.Listener) net.Listener {
	return &budgetListener{Listener: ln, b: b}
}

// ConnState is the http.Server hook that tells the budget which
// connections are idle (evictable) and which are busy.
func (b *ConnBudget) ConnState(c net.Conn, state http.ConnState) {
	bc, ok := c.(*budgetConn)
	if !ok {
		return
	}
	switch state {
	case http.StateIdle:
		b.mu.Lock()
		b.markIdleLocked(bc)
		b.mu.Unlock()
	case http.StateActive, http.StateHijacked:
		b.mu.Lock()
		b.markBusyLocked(bc)
		b.mu.Unlock()
	case http.StateClosed:
		bc.release()
	}
}

// admit takes a slot for c, evicting the oldest idle connection if the
// budget is full. It returns nil when there is no room.
func (b *ConnBudget) admit(c net.Conn) *budgetConn {
	bc := &budgetConn{Conn: c, b: b}
	b.mu.Lock()
	var victim *budgetConn
	if b.open >= b.max {
		front := b.idle.Front()
		if front == nil {
			b.mu.Unlock()
			return nil
		}
		victim = front.Value.(*budgetConn)
		b.releaseLocked(victim)
	}
	b.open++
	b.markIdleLocked(bc) // nothing read yet
	b.mu.Unlock()
	if victim != nil {
		b.evict.Add(1)
		_ = victim.Conn.Close() // its server goroutine sees the error and ends
	}
	return bc
}

func (b *ConnBudget) markIdleLocked(bc *budgetConn) {
	if bc.released || bc.idle != nil {
		return
	}
	bc.idle = b.idle.PushBack(bc)
}

func (b *ConnBudget) markBusyLocked(bc *budgetConn) {
	if bc.idle != nil {
		b.idle.Remove(bc.idle)
		bc.idle = nil
	}
}

// releaseLocked gives bc's slot back, once.
func (b *ConnBudget) releaseLocked(bc *budgetConn) {
	if bc.released {
		return
	}
	bc.released = true
	b.markBusyLocked(bc)
	b.open--
}

type budgetListener struct {
	net.Listener
	b *ConnBudget
}

// Accept returns the next connection the budget has room for. Errors of
// the inner listener (EMFILE included) are returned unchanged, so
// http.Server keeps treating temporary ones as temporary and retries.
func (l *budgetListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if bc := l.b.admit(c); bc != nil {
			return bc, nil
		}
		l.b.shed.Add(1)
		_ = c.Close()
	}
}

// budgetConn is a connection holding one slot of its budget. Its fields
// other than Conn are guarded by b.mu.
type budgetConn struct {
	net.Conn
	b        *ConnBudget
	idle     *list.Element // its place in b.idle while evictable
	released bool
}

// SyscallConn hands out the socket's descriptor: a hijacked WebSocket
// (livechat's writers) writes to it without blocking, which the wrapper
// would otherwise hide.
func (c *budgetConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

// Close closes the connection and frees its slot (a hijacked WebSocket
// frees it here, when the socket is closed).
func (c *budgetConn) Close() error {
	c.release()
	return c.Conn.Close()
}

func (c *budgetConn) release() {
	c.b.mu.Lock()
	c.b.releaseLocked(c)
	c.b.mu.Unlock()
}
