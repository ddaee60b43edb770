package livechat

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The write path.
//
// A frame is encoded once (JSON, in Hub.Publish) and its bytes are shared
// by every socket it goes to. Enqueueing it hands each socket whose queue
// was empty to one of a few pool writers, one per CPU, each serving a
// fixed share of the sockets. A pool writer takes everything a socket has
// queued, puts it in WebSocket framing into one buffer and writes it with
// one non-blocking system call: a socket whose kernel buffer has room (all
// but the slowest) costs no goroutine, no timer and no allocation, and a
// broadcast to thousands of sockets is written from every core at once.
//
// A socket whose kernel buffer is full gets a goroutine of its own that
// finishes the write blocking, under WriteTimeout, and writes whatever else
// queues up meanwhile; once the queue is empty the socket goes back to the
// pool. So the pool never waits for a slow peer, and each socket's frames
// leave in the order they were queued: one writer at a time owns a queue.
//
// Server frames are never masked or compressed, so the framing is a 2- to
// 10-byte header. The WebSocket library still writes its control frames
// (pong, close) itself, through sockWriter; Conn.wmu keeps those and ours
// whole and in turn.

const (
	// writeChunk bounds the bytes one system call is given.
	writeChunk = 64 << 10
	// maxWriterBuf is the largest buffer a pool writer keeps between uses.
	maxWriterBuf = 256 << 10
)

// writerPool is the hub's set of pool writers.
type writerPool struct {
	ws   []*writer
	next atomic.Uint32
}

func newWriterPool(ctx context.Context, n int, timeout time.Duration, wg *sync.WaitGroup) *writerPool {
	p := &writerPool{ws: make([]*writer, max(1, n))}
	for i := range p.ws {
		w := &writer{wake: make(chan struct{}, 1), timeout: timeout}
		w.writeFn = w.rawWrite
		p.ws[i] = w
		wg.Add(1)
		go func() { defer wg.Done(); w.run(ctx) }()
	}
	return p
}

// assign picks the pool writer of a new socket.
func (p *writerPool) assign() int { return int(p.next.Add(1) % uint32(len(p.ws))) }

// schedule gives c, which has frames queued and no writer, to its pool
// writer. It never blocks.
func (p *writerPool) schedule(c *Conn) {
	w := p.ws[c.shard]
	w.mu.Lock()
	w.ready = append(w.ready, c)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// writer is one pool writer.
type writer struct {
	mu    sync.Mutex
	ready []*Conn // guarded by mu: sockets with frames to write, in turn
	wake  chan struct{}

	timeout time.Duration

	// Owned by the writer's goroutine.
	buf     []byte
	cur     []byte // what rawWrite writes
	n       int    // what it wrote
	err     error
	writeFn func(fd uintptr) bool // w.rawWrite, made once
}

func (w *writer) run(ctx context.Context) {
	var list []*Conn
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		}
		for {
			w.mu.Lock()
			list, w.ready = w.ready, list[:0]
			w.mu.Unlock()
			if len(list) == 0 {
				break
			}
			for i, c := range list {
				w.serve(c)
				list[i] = nil
			}
			if cap(w.buf) > maxWriterBuf {
				w.buf = nil
			}
		}
	}
}

// serve writes what c has queued.
func (w *writer) serve(c *Conn) {
	c.mu.Lock()
	if c.closed {
		c.owned = false
		c.mu.Unlock()
		return
	}
	batch := c.takeLocked()
	c.mu.Unlock()
	if c.raw == nil || !c.wmu.TryLock() {
		// Not a plain socket, or the library is writing a control frame:
		// this socket's own goroutine waits its turn.
		go c.writeBlocking(nil, batch, false)
		return
	}
	if c.shut.Load() {
		c.wmu.Unlock()
		c.release()
		return
	}
	for len(batch) > 0 {
		w.buf = w.buf[:0]
		i := 0
		for i < len(batch) && (i == 0 || len(w.buf)+len(batch[i]) <= writeChunk) {
			w.buf = appendFrame(w.buf, batch[i])
			i++
		}
		batch = batch[i:]
		n, err := w.tryWrite(c.raw, w.buf)
		if err != nil {
			c.wmu.Unlock()
			c.writeFailed(err)
			c.release()
			return
		}
		if n < len(w.buf) {
			// The kernel buffer is full: the rest waits on a goroutine of
			// its own, which keeps wmu until the frame is whole.
			go c.writeBlocking(bytes.Clone(w.buf[n:]), batch, true)
			return
		}
	}
	c.wmu.Unlock()
	c.mu.Lock()
	if c.closed || len(c.queue) == 0 {
		c.owned = false
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	// More came meanwhile: its turn comes after the others'.
	w.mu.Lock()
	w.ready = append(w.ready, c)
	w.mu.Unlock()
}

// tryWrite writes p to the socket without waiting and says how much of it
// the kernel took.
func (w *writer) tryWrite(raw syscall.RawConn, p []byte) (int, error) {
	w.cur, w.n, w.err = p, 0, nil
	err := raw.Write(w.writeFn)
	w.cur = nil
	if err != nil {
		return 0, err
	}
	return w.n, w.err
}

// rawWrite is the body of tryWrite's RawConn.Write: it returns true at
// once, so RawConn never waits for the socket to become writable.
func (w *writer) rawWrite(fd uintptr) bool {
	for w.n < len(w.cur) {
		n, err := syscall.Write(int(fd), w.cur[w.n:])
		if n > 0 {
			w.n += n
		}
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return true
		case err != nil:
			w.err = os.NewSyscallError("write", err)
			return true
		case n <= 0:
			return true
		}
	}
	return true
}

// writeBlocking is the socket's own writer while its peer is slow: it
// writes rest (the tail of a frame already begun, when locked says wmu is
// held) and frames, then whatever else is queued, each write bounded by
// WriteTimeout; when the queue is empty it gives the socket back to the
// pool.
func (c *Conn) writeBlocking(rest []byte, frames [][]byte, locked bool) {
	buf := rest
	for {
		partial := len(buf) > 0 // a frame is half written: finish it whatever happens
		if !partial {
			if len(frames) == 0 {
				c.mu.Lock()
				if c.closed || len(c.queue) == 0 {
					c.owned = false
					c.mu.Unlock()
					if locked {
						c.wmu.Unlock()
					}
					return
				}
				frames = c.takeLocked()
				c.mu.Unlock()
			}
			for _, f := range frames {
				buf = appendFrame(buf, f)
			}
			frames = nil
		}
		if !locked {
			c.wmu.Lock()
		}
		locked = false
		if !partial && c.shut.Load() {
			c.wmu.Unlock()
			c.release()
			return
		}
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.svc.opts.WriteTimeout))
		_, err := c.nc.Write(buf)
		_ = c.nc.SetWriteDeadline(time.Time{})
		c.wmu.Unlock()
		if err != nil {
			c.writeFailed(err)
			c.release()
			return
		}
		buf = buf[:0]
		if cap(buf) > maxWriterBuf {
			buf = nil
		}
	}
}

// release gives up the ownership of c's queue after a failed or abandoned
// write.
func (c *Conn) release() {
	c.mu.Lock()
	c.owned = false
	c.mu.Unlock()
}

// writeFailed closes a socket whose write failed: 1013, since the peer may
// simply have been too slow to take its frames (counted as such when the
// write timed out).
func (c *Conn) writeFailed(err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.closeSlow()
	}
	c.closeWith(DisconnectSlow)
}

// appendFrame appends frame to dst as one unmasked WebSocket text frame;
// a nil frame is a ping.
func appendFrame(dst, frame []byte) []byte {
	if frame == nil {
		return append(dst, 0x89, 0) // FIN, ping, no payload
	}
	const finText = 0x81
	switch n := len(frame); {
	case n < 126:
		dst = append(dst, finText, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, finText, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, finText, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, frame...)
}

// sockWriter is where the WebSocket library's buffered writer flushes its
// control frames. Its buffer (ctlBufSize) holds any control frame whole,
// so each flush is one whole frame, written under wmu.
type sockWriter struct{ c *Conn }

func (s sockWriter) Write(p []byte) (int, error) {
	s.c.wmu.Lock()
	defer s.c.wmu.Unlock()
	return s.c.nc.Write(p)
}
