package livechat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Group commit of chat lines (issue 15).
//
// A socket's `send` used to be a transaction of its own: four round trips
// (begin, the conversation's share lock, the insert, commit) per line. Now
// each line is handed to the node's line batcher, whose committers (two
// goroutines) each take every line that arrived while their previous
// commit was in flight (up to maxLineBatch) and store them all in one implicit transaction sent as one
// pipelined round trip (batch_store.go). A line is acknowledged, and
// published, only after that transaction committed; if it fails, every
// line of the batch gets `unavailable` with retry advice and none of them
// is stored (one transaction). Resending with the same client_id is then
// safe whether or not the commit in fact happened.
//
// Seq order per room: the batch takes its rooms' row locks in one order
// before it numbers the lines, so concurrent batches (other nodes) and the
// single-line writers (accept, close) serialize on them as before and
// commit order stays seq order; within a batch lines keep their arrival
// order. A socket has at most one line in flight (its reader waits for
// the ack), so a socket's lines are stored in the order it sent them.
//
// Backpressure: the queue holds maxLineQueue lines; a sender waits for room
// in it (its socket's reader is then not reading, and TCP slows the
// client down) up to lineQueueWait, then gets `unavailable`.

const (
	// maxLineBatch bounds the lines of one transaction: a bigger batch
	// holds its rooms' locks longer and delays every line in it.
	maxLineBatch = 512
	// maxLineQueue bounds the lines waiting for a batch.
	maxLineQueue = 4096
	// lineQueueWait is how long a sender waits for room in a full queue.
	lineQueueWait = 5 * time.Second
	// lineCommitTimeout bounds one batch's round trip: PostgreSQL that
	// stops answering fails the batch rather than holding it forever.
	lineCommitTimeout = 10 * time.Second
	// lineCommitters is how many batches may be in flight at once: while
	// PostgreSQL works on one, the next is read and sent, so neither side
	// waits for the other. Two batches with a room in common take its lock
	// in turn (seq order is commit order); a socket has one line in flight,
	// so its lines are never in two batches at once.
	lineCommitters = 2
	// lineRetry is the retry_after of a line that could not be stored.
	lineRetry = time.Second
)

// lineReq is one chat line waiting to be stored.
type lineReq struct {
	conv     int64
	operator bool       // the sender is the conversation's operator (it must be active)
	m        newMessage // Author is filled in for operators; citizens' comes from the conversation
	done     chan lineResult
}

// lineResult is what became of a line: stored (m, dup false), stored
// before (dup true: m has the first copy's seq), or refused (err).
type lineResult struct {
	m   Message
	dup bool
	err error
}

// lineBatcher stores chat lines in groups.
type lineBatcher struct {
	pool    *pgxpool.Pool
	publish func(Message) // after commit, in seq order per room
	stored  *atomic.Int64
	log     *slog.Logger
	ctx     context.Context // ends at shutdown
	q       chan *lineReq

	// Counted for tests and BENCHMARKS.md: lines stored, transactions
	// committed, and lines queued or in the batch in flight.
	lines, commits, waiting atomic.Int64
}

// newLineBatcher starts a batcher that runs until ctx ends; done is called
// when its goroutine has returned.
func newLineBatcher(ctx context.Context, pool *pgxpool.Pool, publish func(Message), stored *atomic.Int64, log *slog.Logger, done func()) *lineBatcher {
	b := &lineBatcher{pool: pool, publish: publish, stored: stored, log: log, ctx: ctx, q: make(chan *lineReq, maxLineQueue)}
	var wg sync.WaitGroup
	for range lineCommitters {
		wg.Add(1)
		go func() { defer wg.Done(); b.run() }()
	}
	go func() { wg.Wait(); done() }()
	return b
}

// errLineUnavailable is a line's answer when its batch could not be
// stored or the node is too busy to take it: send it again, with the same
// client_id, after retry_after.
func errLineUnavailable(err error) error {
	return &apperr.Error{Kind: apperr.Unavailable, Code: "unavailable", RetryAfter: lineRetry, Err: err,
		Message: "your message could not be stored just now; send it again with the same client_id after retry_after seconds"}
}

// store hands r to the batcher and waits until its batch committed or
// failed. ctx is the sender's: if it ends first, the line may still be
// stored (and published); a resend with its client_id is answered with it.
func (b *lineBatcher) store(ctx context.Context, r *lineReq) (lineResult, error) {
	r.done = make(chan lineResult, 1)
	b.waiting.Add(1)
	select {
	case b.q <- r:
	default:
		t := time.NewTimer(lineQueueWait)
		defer t.Stop()
		var err error
		select {
		case b.q <- r:
		case <-t.C:
			err = errLineUnavailable(errors.New("line queue full"))
		case <-ctx.Done():
			err = ctx.Err()
		case <-b.ctx.Done():
			err = errLineUnavailable(errors.New("shutting down"))
		}
		if err != nil {
			b.waiting.Add(-1)
			return lineResult{}, err
		}
	}
	select {
	case res := <-r.done:
		return res, res.err
	case <-ctx.Done():
		return lineResult{}, ctx.Err()
	case <-b.ctx.Done():
		// Shutting down: the line may be stored or not; a resend tells.
		return lineResult{}, errLineUnavailable(errors.New("shutting down"))
	}
}

func (b *lineBatcher) run() {
	batch := make([]*lineReq, 0, maxLineBatch)
	for {
		var first *lineReq
		select {
		case <-b.ctx.Done():
			b.failQueued()
			return
		case first = <-b.q:
		}
		// Everything that queued while the last commit was in flight.
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxLineBatch {
			select {
			case r := <-b.q:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		b.commit(batch)
		clear(batch)
	}
}

// failQueued answers what is still queued at shutdown.
func (b *lineBatcher) failQueued() {
	for {
		select {
		case r := <-b.q:
			b.waiting.Add(-1)
			r.done <- lineResult{err: errLineUnavailable(errors.New("shutting down"))}
		default:
			return
		}
	}
}

// commit stores batch in one transaction and answers each line.
func (b *lineBatcher) commit(batch []*lineReq) {
	// A resend of a line that is in this very batch (same room, sender and
	// client_id) is not stored twice: it follows the first copy.
	type key struct{ room, sender, clientID string }
	leaders := make([]*lineReq, 0, len(batch))
	follow := map[*lineReq]*lineReq{}
	seen := map[key]*lineReq{}
	for _, r := range batch {
		if r.m.ClientID != "" {
			k := key{r.m.Room, r.m.Sender, r.m.ClientID}
			if l, ok := seen[k]; ok {
				follow[r] = l
				continue
			}
			seen[k] = r
		}
		leaders = append(leaders, r)
	}
	ctx, cancel := context.WithTimeout(b.ctx, lineCommitTimeout)
	results, err := storeLines(ctx, b.pool, leaders)
	cancel()
	b.waiting.Add(-int64(len(batch)))
	if err != nil {
		if b.ctx.Err() == nil {
			b.log.Warn("livechat: storing a batch of chat lines failed; its senders retry", "lines", len(batch), "err", err)
		}
		err = errLineUnavailable(fmt.Errorf("store %d chat lines: %w", len(leaders), err))
		for _, r := range batch {
			r.done <- lineResult{err: err}
		}
		return
	}
	b.commits.Add(1)
	byReq := make(map[*lineReq]lineResult, len(leaders))
	for i, r := range leaders {
		res := results[i]
		byReq[r] = res
		if res.err == nil && !res.dup {
			b.lines.Add(1)
			b.stored.Add(1)
			b.publish(res.m)
		}
	}
	for _, r := range batch {
		if l, ok := follow[r]; ok {
			res := byReq[l]
			res.dup = true
			r.done <- res
			continue
		}
		r.done <- byReq[r]
	}
}

// startLineBatcher starts s's batcher on the hub's lifetime: Shutdown
// waits for it.
func startLineBatcher(s *Service) *lineBatcher {
	s.hub.bg.Add(1)
	return newLineBatcher(s.hub.ctx, s.store.pool, s.hub.Publish, &s.metrics.stored, s.log, s.hub.bg.Done)
}
