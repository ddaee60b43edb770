package livechat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/doithoai/doithoai/internal/broker"
)

// Hub is this node's half of fan-out: the rooms that have subscribers on
// this node, and every open socket.
//
// A stored message reaches a room on every node by two roads: the node
// that stored it delivers it to its own sockets at once and publishes it
// on the broker; other nodes deliver what the broker brings. Each node
// room delivers seq N only after N−1: a seq that arrives early waits in
// pending while the gap is read from PostgreSQL, and a seq already
// delivered is dropped. A periodic check of each room's last seq in
// PostgreSQL catches up whatever the broker lost (Redis restarted), so
// nothing stored is missed and nothing is delivered twice.
type Hub struct {
	store  *Store
	broker broker.Broker
	log    *slog.Logger
	opts   Options
	nodeID string

	// ctx ends when the hub shuts down; background goroutines watch it.
	ctx    context.Context
	cancel context.CancelFunc
	// publishQ carries outgoing broker publishes to the publisher
	// goroutines, so that a slow or absent Redis never holds up a sender.
	publishQ chan publishReq
	// writers write the sockets' queued frames (writer.go).
	writers *writerPool

	mu      sync.Mutex
	rooms   map[string]*room   // room name → room with ≥1 subscriber here; guarded by mu
	conns   map[*Conn]struct{} // open sockets; guarded by mu
	perIP   map[string]int     // client address → open sockets; guarded by mu
	closing bool               // guarded by mu; set by Shutdown, refuses new sockets
	readers sync.WaitGroup     // one per socket's reader goroutine
	bg      sync.WaitGroup     // background loops
}

type publishReq struct {
	channel string
	data    []byte
	seq     int64 // a stored message's seq; 0 for events
}

// newHub starts a hub; its loops stop at Shutdown.
func newHub(store *Store, b broker.Broker, log *slog.Logger, opts Options) *Hub {
	id := make([]byte, 6)
	_, _ = rand.Read(id)
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{store: store, broker: b, log: log, opts: opts, nodeID: hex.EncodeToString(id),
		ctx: ctx, cancel: cancel, publishQ: make(chan publishReq, 8192),
		rooms: map[string]*room{}, conns: map[*Conn]struct{}{}, perIP: map[string]int{}}
	h.writers = newWriterPool(ctx, runtime.GOMAXPROCS(0), opts.WriteTimeout, &h.bg)
	for range 2 {
		h.bg.Add(1)
		go h.publisher()
	}
	h.bg.Add(2)
	go h.syncLoop()
	go h.keepaliveLoop()
	return h
}

// channel is the broker channel of a room.
func channel(room string) string { return "lc:" + room }

// Broker payloads are "<seq> <frame>"; seq 0 marks a transient event. A
// pointer, "<seq> " with no frame, says only that seq is stored: receivers
// read it from PostgreSQL. It is sent when the broker cannot carry the
// frame (PostgreSQL NOTIFY's 8000 bytes, while Redis is down).
func encodePayload(seq int64, frame []byte) []byte {
	b := make([]byte, 0, len(frame)+21)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, ' ')
	return append(b, frame...)
}

func decodePayload(p []byte) (seq int64, frame []byte, ok bool) {
	for i, c := range p {
		if c == ' ' {
			n, err := strconv.ParseInt(string(p[:i]), 10, 64)
			return n, p[i+1:], err == nil
		}
	}
	return 0, nil, false
}

// Publish delivers a stored message to this node's subscribers now and to
// other nodes through the broker. Call it after the message's transaction
// has committed.
func (h *Hub) Publish(m Message) {
	frame := mustJSON(m)
	if rm := h.lookup(m.Room); rm != nil {
		rm.receive(m.Seq, frame)
	}
	h.enqueuePublish(publishReq{channel(m.Room), encodePayload(m.Seq, frame), m.Seq})
}

// Event sends a transient frame (typing, presence, queue) to room on every
// node.
func (h *Hub) Event(room string, frame []byte) {
	h.enqueuePublish(publishReq{channel(room), encodePayload(0, frame), 0})
}

func (h *Hub) enqueuePublish(p publishReq) {
	select {
	case h.publishQ <- p:
	default:
		// Other nodes catch up from PostgreSQL; events are best effort.
		h.log.Warn("livechat: publish queue full, dropping", "channel", p.channel)
	}
}

// publisher is one of the goroutines that own the broker's Publish calls.
func (h *Hub) publisher() {
	defer h.bg.Done()
	for {
		select {
		case <-h.ctx.Done():
			return
		case p := <-h.publishQ:
			ctx, cancel := context.WithTimeout(h.ctx, 2*time.Second)
			err := h.broker.Publish(ctx, p.channel, p.data)
			if errors.Is(err, broker.ErrTooLarge) && p.seq > 0 {
				err = h.broker.Publish(ctx, p.channel, encodePayload(p.seq, nil))
			}
			if err != nil && h.ctx.Err() == nil {
				h.log.Warn("livechat: publish failed; other nodes will catch up from PostgreSQL", "channel", p.channel, "err", err)
			}
			cancel()
		}
	}
}

func (h *Hub) lookup(name string) *room {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[name]
}

// acquire returns the node room of name, creating it (broker subscription
// and baseline seq) on first use. Every acquire is paired with a release.
func (h *Hub) acquire(ctx context.Context, name string, stored bool) (*room, error) {
	h.mu.Lock()
	rm := h.rooms[name]
	if rm == nil {
		rm = newRoom(h, name, stored)
		h.rooms[name] = rm
		rm.refs = 1
		h.mu.Unlock()
		rm.setup(ctx)
	} else {
		rm.refs++
		h.mu.Unlock()
	}
	select {
	case <-rm.ready:
	case <-ctx.Done():
		h.release(rm)
		return nil, ctx.Err()
	}
	if rm.setupErr != nil {
		h.release(rm)
		return nil, rm.setupErr
	}
	return rm, nil
}

// release drops one reference; the last one tears the room down.
func (h *Hub) release(rm *room) {
	h.mu.Lock()
	rm.refs--
	last := rm.refs == 0
	if last {
		delete(h.rooms, rm.name)
	}
	h.mu.Unlock()
	if last {
		rm.teardown()
	}
}

// syncLoop compares each room's last delivered seq with PostgreSQL and
// fills what the broker did not bring; it also retries broker
// subscriptions that failed while Redis was away, and refreshes presence.
func (h *Hub) syncLoop() {
	defer h.bg.Done()
	t := time.NewTicker(h.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
		h.mu.Lock()
		rooms := make([]*room, 0, len(h.rooms))
		for _, rm := range h.rooms {
			rooms = append(rooms, rm)
		}
		h.mu.Unlock()
		var names []string
		for _, rm := range rooms {
			rm.resubscribe(h.ctx)
			if rm.stored {
				names = append(names, rm.name)
			}
		}
		if len(names) > 0 {
			ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
			seqs, err := h.store.LastSeqs(ctx, names)
			cancel()
			if err != nil {
				if h.ctx.Err() == nil {
					h.log.Warn("livechat: sequence check failed", "err", err)
				}
			} else {
				for _, rm := range rooms {
					if s, ok := seqs[rm.name]; ok {
						rm.catchUp(s)
					}
				}
			}
		}
		h.refreshPresence(rooms)
	}
}

// keepaliveLoop pings sockets that have been quiet for PingInterval and
// closes those that stay silent PongTimeout after the ping. It looks often
// (every second at most), so sockets come due spread over time as they
// went quiet, not all on one tick; a ping is two bytes in the socket's
// queue, and the pong is noticed by the reader (Conn.alive).
func (h *Hub) keepaliveLoop() {
	defer h.bg.Done()
	t := time.NewTicker(min(time.Second, max(10*time.Millisecond, min(h.opts.PingInterval, h.opts.PongTimeout)/4)))
	defer t.Stop()
	var due, stale []*Conn
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now().UnixNano()
		quiet := now - h.opts.PingInterval.Nanoseconds()
		late := now - h.opts.PongTimeout.Nanoseconds()
		h.mu.Lock()
		for c := range h.conns {
			last, pinged := c.lastRead.Load(), c.pingedAt.Load()
			switch {
			case pinged > last && pinged < late:
				stale = append(stale, c)
			case last < quiet && pinged <= last:
				due = append(due, c)
			}
		}
		h.mu.Unlock()
		for _, c := range due {
			c.ping(now)
		}
		for _, c := range stale {
			c.closeWith(DisconnectStale)
		}
		clear(due)
		clear(stale)
		due, stale = due[:0], stale[:0]
	}
}

// register admits a new socket, or says why not.
func (h *Hub) register(c *Conn) *Disconnect {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return &DisconnectShutdown
	}
	if h.opts.MaxConnsPerIP > 0 && h.perIP[c.ip] >= h.opts.MaxConnsPerIP {
		return &DisconnectTooManyConns
	}
	h.perIP[c.ip]++
	h.conns[c] = struct{}{}
	c.shard = h.writers.assign()
	h.readers.Add(1)
	return nil
}

func (h *Hub) unregister(c *Conn) {
	h.mu.Lock()
	delete(h.conns, c)
	if h.perIP[c.ip]--; h.perIP[c.ip] <= 0 {
		delete(h.perIP, c.ip)
	}
	h.mu.Unlock()
	h.readers.Done()
}

// Conns is the number of open sockets on this node.
func (h *Hub) Conns() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// Shutdown closes every socket with 1001 "going away", waits (up to ctx)
// for their goroutines, and stops the hub's loops.
func (h *Hub) Shutdown(ctx context.Context) {
	h.mu.Lock()
	h.closing = true
	conns := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.closeWith(DisconnectShutdown)
	}
	done := make(chan struct{})
	go func() { h.readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		for _, c := range conns {
			_ = c.ws.CloseNow()
		}
	}
	h.cancel()
	h.bg.Wait()
}
