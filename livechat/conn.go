package livechat

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/internal/identity"
)

// Conn is one WebSocket.
//
// Goroutines: the reader goroutine (readLoop) owns every field marked
// "reader"; a writer goroutine exists only while frames are queued (an idle
// socket costs no writer stack) and owns the socket's writes of data
// frames. Rooms and the hub enqueue frames from their own goroutines under
// mu, never blocking: a socket whose queue is full is closed as too slow
// and resumes with since.
type Conn struct {
	svc  *Service
	ws   *websocket.Conn
	user *identity.User // nil for an anonymous citizen
	ip   string
	// convTokens are the conversation tokens the upgrade request carried
	// (cookie); join may add one.
	convTokens []string

	lastRead atomic.Int64 // unix ns of the last frame read; keepalive skips busy sockets

	rooms  map[string]*room // reader: rooms joined
	convOK map[int64]string // reader: conversation id → our role in it ("citizen" or "operator")
	bucket tokenBucket      // reader: per-socket frame rate
	bad    int              // reader: malformed frames in a row
	typed  time.Time        // reader: last typing event sent

	mu      sync.Mutex
	space   sync.Cond // signalled (on mu) when the writer takes the queue or the socket closes
	queue   [][]byte  // guarded by mu: frames for the writer, in order
	writing bool      // guarded by mu: a writer goroutine runs
	closed  bool      // guarded by mu: no more frames are accepted
}

func newConn(svc *Service, ws *websocket.Conn, user *identity.User, ip string, tokens []string) *Conn {
	c := &Conn{svc: svc, ws: ws, user: user, ip: ip, convTokens: tokens}
	c.space.L = &c.mu
	c.lastRead.Store(time.Now().UnixNano())
	c.bucket = tokenBucket{rate: svc.opts.FramesPerSecond, burst: float64(svc.opts.FrameBurst), tokens: float64(svc.opts.FrameBurst)}
	return c
}

// enqueue queues frame without waiting. A full queue closes the socket as
// too slow: one slow reader never delays a room.
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
	c.startWriterLocked()
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
	c.startWriterLocked()
	return true
}

func (c *Conn) startWriterLocked() {
	if !c.writing {
		c.writing = true
		go c.writeLoop()
	}
}

// writeLoop writes queued frames until the queue is empty, then exits.
func (c *Conn) writeLoop() {
	for {
		c.mu.Lock()
		if c.closed || len(c.queue) == 0 {
			c.writing = false
			c.queue = nil
			c.mu.Unlock()
			return
		}
		batch := c.queue
		c.queue = nil
		c.space.Broadcast()
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), c.svc.opts.WriteTimeout)
		for _, f := range batch {
			if err := c.ws.Write(ctx, websocket.MessageText, f); err != nil {
				cancel()
				if ctx.Err() != nil {
					c.closeSlow() // the peer stopped reading
				}
				c.closeWith(DisconnectSlow)
				c.mu.Lock()
				c.writing = false
				c.mu.Unlock()
				return
			}
		}
		cancel()
	}
}

// closeSlow closes a socket that cannot keep up (1013: resume with since).
func (c *Conn) closeSlow() {
	if c.closeWith(DisconnectSlow) {
		c.svc.metrics.slowClosed.Add(1)
	}
}

// closeWith closes the socket with d (once) and reports whether this call did. The close handshake runs in
// its own goroutine, so a socket whose peer stopped reading costs no one
// else any time.
func (c *Conn) closeWith(d Disconnect) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.closed = true
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

// ping checks that the peer still answers.
func (c *Conn) ping(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := c.ws.Ping(ctx); err != nil && !c.isClosed() {
		c.closeWith(DisconnectStale)
	}
}

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
