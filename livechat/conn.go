package livechat

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/internal/identity"
)

// Conn is one WebSocket.
//
// Goroutines: the reader goroutine (readLoop) owns every field marked
// "reader". Nothing else runs per socket while it is idle: its queued
// frames are written by the hub's writer pool (writer.go), and only a
// socket whose kernel buffer is full gets a goroutine of its own until its
// queue drains. Rooms and the hub enqueue frames from their own goroutines
// under mu, never blocking: a socket whose queue is full is closed as too
// slow and resumes with since.
type Conn struct {
	svc  *Service
	ws   *websocket.Conn
	user *identity.User // nil for an anonymous citizen
	ip   string
	// convTokens are the conversation tokens the upgrade request carried
	// (cookie); join may add one.
	convTokens []string

	// The socket under ws, set by the upgrade (hijack.go). Data frames are
	// written straight to it by the writer pool; the library writes its
	// control frames (pong, close) through sockWriter. wmu keeps the two
	// from interleaving: whoever holds it writes whole frames.
	nc    net.Conn
	raw   syscall.RawConn // nc's descriptor for non-blocking writes; nil: every write may block (not TCP)
	wmu   sync.Mutex
	shard int         // which pool writer serves this socket
	shut  atomic.Bool // set with closed: no data frame may follow the close frame

	lastRead atomic.Int64 // unix ns of the last frame (or pong) read
	pingedAt atomic.Int64 // unix ns of the last ping we queued

	rooms  map[string]*room // reader: rooms joined
	convOK map[int64]string // reader: conversation id → our role in it ("citizen" or "operator")
	bucket tokenBucket      // reader: per-socket frame rate
	joins  tokenBucket      // reader: per-socket join (and history page) rate
	// joinRetryAt is when the last refused join's retry_after ends;
	// joinStrikes counts joins sent before it (reader).
	joinRetryAt time.Time
	joinStrikes int
	bad         int       // reader: malformed frames in a row
	typed       time.Time // reader: last typing event sent

	mu     sync.Mutex
	space  sync.Cond // signalled (on mu) when a writer takes the queue or the socket closes
	queue  [][]byte  // guarded by mu: frames to write, in order; nil stands for a ping
	owned  bool      // guarded by mu: a writer (pool or this socket's own) owns the queue
	closed bool      // guarded by mu: no more frames are accepted
}

func newConn(svc *Service, user *identity.User, ip string, tokens []string) *Conn {
	c := &Conn{svc: svc, user: user, ip: ip, convTokens: tokens}
	c.space.L = &c.mu
	c.lastRead.Store(time.Now().UnixNano())
	c.bucket = tokenBucket{rate: svc.opts.FramesPerSecond, burst: float64(svc.opts.FrameBurst), tokens: float64(svc.opts.FrameBurst)}
	c.joins = tokenBucket{rate: svc.opts.JoinsPerSecond, burst: float64(svc.opts.JoinBurst), tokens: float64(svc.opts.JoinBurst)}
	return c
}

// enqueue queues frame without waiting. A full queue closes the socket as
// too slow: one slow reader never delays a room. Every socket given the
// same frame shares its bytes.
func (c *Conn) enqueue(frame []byte) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if len(c.queue) >= c.svc.opts.SendQueue {
		c.mu.Unlock()
		c.closeSlow()
		return
	}
	c.queue = append(c.queue, frame)
	c.scheduleLocked()
	c.mu.Unlock()
}

// enqueueWait queues frame, waiting for room in the queue: for the reader's
// own replies and replays, where waiting only slows this socket.
func (c *Conn) enqueueWait(frame []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for !c.closed && len(c.queue) >= c.svc.opts.SendQueue {
		c.space.Wait()
	}
	if c.closed {
		return false
	}
	c.queue = append(c.queue, frame)
	c.scheduleLocked()
	return true
}

// scheduleLocked hands the socket to its pool writer unless a writer owns
// its queue already (that one will see the new frame).
func (c *Conn) scheduleLocked() {
	if !c.owned {
		c.owned = true
		c.svc.hub.writers.schedule(c)
	}
}

// takeLocked gives the queued frames to their writer.
func (c *Conn) takeLocked() [][]byte {
	batch := c.queue
	c.queue = nil
	c.space.Broadcast()
	return batch
}

// closeSlow closes a socket that cannot keep up (1013: resume with since).
func (c *Conn) closeSlow() {
	if c.closeWith(DisconnectSlow) {
		c.svc.metrics.slowClosed.Add(1)
	}
}

// closeWith closes the socket with d (once) and reports whether this call
// did. The close handshake runs in its own goroutine, so a socket whose
// peer stopped reading costs no one else any time.
func (c *Conn) closeWith(d Disconnect) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.closed = true
	c.shut.Store(true)
	c.queue = nil
	c.space.Broadcast()
	c.mu.Unlock()
	go func() { _ = c.ws.Close(d.Code, d.Reason) }()
	return true
}

func (c *Conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// ping queues a WebSocket ping; the pong (any frame, in fact) moves
// lastRead, and the hub's keepalive closes sockets that stay silent.
func (c *Conn) ping(now int64) {
	c.pingedAt.Store(now)
	c.enqueue(nil)
}

// alive records that the peer spoke.
func (c *Conn) alive() { c.lastRead.Store(time.Now().UnixNano()) }

// tokenBucket limits the frames a socket may send.
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *tokenBucket) allow(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// wait is how long until the bucket holds a token again.
func (b *tokenBucket) wait() time.Duration {
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}
