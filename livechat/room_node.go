package livechat

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

var errUnknownRoom = errors.New("livechat: no such room")

// maxPending bounds the out-of-order frames a room keeps while it fills a
// gap; beyond it they are dropped and read from PostgreSQL instead.
const maxPending = 1024

// room is one room as this node sees it: its subscribers here and the seq
// delivered to them so far.
//
// Goroutines: the broker's dispatch goroutine, local publishers (Hub.Publish)
// and the fill goroutine all call into receive/deliver with mu held; none of
// them blocks under mu, because a subscriber's enqueue never waits.
type room struct {
	hub    *Hub
	name   string
	stored bool // conv/live rooms have seqs; the queue room only events

	ready    chan struct{} // closed once setup is done
	setupErr error         // set before ready is closed

	refs int // guarded by hub.mu: sockets joined or joining

	mu         sync.Mutex
	unsub      func()           // guarded by mu; nil while not subscribed to the broker
	lastSeq    int64            // guarded by mu; last seq delivered here
	pending    map[int64][]byte // guarded by mu; seq → frame that arrived before its predecessors
	fillTarget int64            // guarded by mu; fill until at least this seq
	filling    bool             // guarded by mu; the fill goroutine runs
	dead       bool             // guarded by mu; torn down
	subs       map[*Conn]*sub   // guarded by mu; live subscribers
	viewers    int              // guarded by mu; last viewer count sent
}

// sub is a live subscriber's cursor: the last seq it was given. A socket
// that joined with a since ahead of this node (possible right after a
// failover) is not sent the seqs it already has.
type sub struct {
	cursor int64
}

func newRoom(h *Hub, name string, stored bool) *room {
	return &room{hub: h, name: name, stored: stored, ready: make(chan struct{}), subs: map[*Conn]*sub{}, pending: map[int64][]byte{}}
}

// setup subscribes to the broker first and reads the baseline seq second,
// so every seq after the baseline arrives by the broker or the periodic
// check. A broker failure is not fatal: the node serves its own sockets and
// resubscribes later.
func (rm *room) setup(ctx context.Context) {
	defer close(rm.ready)
	rm.resubscribe(ctx)
	if !rm.stored {
		return
	}
	seq, ok, err := rm.hub.store.LastSeq(ctx, rm.name)
	if err != nil {
		rm.setupErr = fmt.Errorf("read last seq of %s: %w", rm.name, err)
		return
	}
	if !ok {
		rm.setupErr = errUnknownRoom
		return
	}
	rm.mu.Lock()
	rm.lastSeq = seq
	rm.drainPendingLocked()
	if len(rm.pending) > 0 || rm.fillTarget > rm.lastSeq {
		rm.startFillLocked(0)
	}
	rm.mu.Unlock()
}

// resubscribe subscribes to the room's broker channel if it is not.
func (rm *room) resubscribe(ctx context.Context) {
	rm.mu.Lock()
	has := rm.unsub != nil || rm.dead
	rm.mu.Unlock()
	if has {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	unsub, err := rm.hub.broker.Subscribe(sctx, channel(rm.name), rm.onBroker)
	cancel()
	if err != nil {
		rm.hub.log.Warn("livechat: broker subscribe failed; serving local sockets, will retry", "room", rm.name, "err", err)
		return
	}
	rm.mu.Lock()
	if rm.dead || rm.unsub != nil {
		rm.mu.Unlock()
		unsub()
		return
	}
	rm.unsub = unsub
	rm.mu.Unlock()
}

func (rm *room) teardown() {
	rm.mu.Lock()
	rm.dead = true
	unsub := rm.unsub
	rm.unsub = nil
	rm.subs = nil
	rm.pending = nil
	rm.mu.Unlock()
	if unsub != nil {
		unsub()
	}
}

// onBroker is the broker handler: it must not block.
func (rm *room) onBroker(data []byte) {
	seq, frame, ok := decodePayload(data)
	if !ok {
		return
	}
	rm.receive(seq, frame)
}

// receive delivers frame (seq 0: a transient event) in seq order.
func (rm *room) receive(seq int64, frame []byte) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.dead {
		return
	}
	if seq == 0 {
		for c := range rm.subs {
			c.enqueue(frame)
		}
		return
	}
	select {
	case <-rm.ready:
	default:
		if len(frame) == 0 {
			// A pointer before the baseline: fill up to it after setup.
			rm.fillTarget = max(rm.fillTarget, seq)
			return
		}
		// Baseline not known yet: keep it for setup.
		if len(rm.pending) < maxPending {
			rm.pending[seq] = frame
		}
		return
	}
	switch {
	case seq <= rm.lastSeq:
		return // delivered already (our own publish, or a fill got it first)
	case len(frame) == 0:
		rm.startFillLocked(seq) // a pointer: read up to seq from PostgreSQL
	case seq == rm.lastSeq+1:
		rm.deliverLocked(seq, frame)
		rm.drainPendingLocked()
	default:
		if len(rm.pending) < maxPending {
			rm.pending[seq] = frame
		}
		rm.startFillLocked(seq - 1)
	}
}

func (rm *room) deliverLocked(seq int64, frame []byte) {
	rm.lastSeq = seq
	for c, s := range rm.subs {
		if seq > s.cursor {
			s.cursor = seq
			c.enqueue(frame)
		}
	}
}

func (rm *room) drainPendingLocked() {
	for {
		f, ok := rm.pending[rm.lastSeq+1]
		if !ok {
			break
		}
		delete(rm.pending, rm.lastSeq+1)
		rm.deliverLocked(rm.lastSeq+1, f)
	}
	for s := range rm.pending {
		if s <= rm.lastSeq {
			delete(rm.pending, s)
		}
	}
}

// catchUp is the periodic check's finding: PostgreSQL has seqs up to last.
func (rm *room) catchUp(last int64) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if !rm.dead && last > rm.lastSeq {
		rm.startFillLocked(last)
	}
}

// startFillLocked starts the goroutine that reads missing seqs (up to at
// least target, and up to every pending seq) from PostgreSQL.
func (rm *room) startFillLocked(target int64) {
	if target > rm.fillTarget {
		rm.fillTarget = target
	}
	if rm.filling {
		return
	}
	rm.filling = true
	go rm.fill()
}

func (rm *room) fill() {
	h := rm.hub
	for {
		rm.mu.Lock()
		target := rm.fillTarget
		for s := range rm.pending {
			if s-1 > target {
				target = s - 1
			}
		}
		from := rm.lastSeq
		if rm.dead || target <= from {
			rm.filling = false
			rm.mu.Unlock()
			return
		}
		rm.mu.Unlock()
		ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
		msgs, err := h.store.ListMessages(ctx, rm.name, from, replayPage)
		cancel()
		rm.mu.Lock()
		if err != nil || len(msgs) == 0 {
			// Not visible yet or PostgreSQL is away: the periodic check retries.
			rm.filling = false
			rm.mu.Unlock()
			if err != nil && h.ctx.Err() == nil {
				h.log.Warn("livechat: gap fill failed", "room", rm.name, "err", err)
			}
			return
		}
		if !rm.dead {
			for _, m := range msgs {
				if m.Seq == rm.lastSeq+1 {
					rm.deliverLocked(m.Seq, mustJSON(m))
				}
			}
			rm.drainPendingLocked()
		}
		rm.mu.Unlock()
	}
}

// addLive makes c a live subscriber whose stream continues after cursor,
// if the room has delivered nothing beyond cursor; otherwise the caller
// must read more from PostgreSQL first. first is enqueued to c under the
// lock, before any live message (the "joined" frame).
func (rm *room) addLive(c *Conn, cursor int64, first func(last int64, viewers int) []byte) (ok bool) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.dead {
		return true
	}
	if rm.stored && cursor < rm.lastSeq {
		return false
	}
	last := max(cursor, rm.lastSeq)
	rm.subs[c] = &sub{cursor: last}
	c.enqueue(first(last, max(rm.viewers, len(rm.subs))))
	return true
}

func (rm *room) remove(c *Conn) {
	rm.mu.Lock()
	if rm.subs != nil {
		delete(rm.subs, c)
	}
	rm.mu.Unlock()
}

// localViewers is the number of live subscribers on this node.
func (rm *room) localViewers() int {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return len(rm.subs)
}
