package moderation

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Events relays queue changes from PostgreSQL NOTIFY to this node's console
// viewers. One goroutine (Run) owns the LISTEN connection; subscribers get a
// small buffered channel and miss events rather than slow the relay (the
// console reloads the whole queue on any event, so a dropped one is caught
// up by the next).
type Events struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	mu   sync.Mutex
	subs map[chan Event]struct{} // guarded by mu

	// listening is closed by Run's goroutine once its first LISTEN is in
	// place; ServeSSE then tells its viewer "ready" (an event the console
	// ignores, and tests wait for: from then on no committed change is missed).
	listening     chan struct{}
	listeningOnce sync.Once
}

// NewEvents returns a relay; call Run to start it.
func NewEvents(pool *pgxpool.Pool, log *slog.Logger) *Events {
	return &Events{pool: pool, log: log, subs: map[chan Event]struct{}{}, listening: make(chan struct{})}
}

// Subscribe returns a channel of events and a cancel func.
func (e *Events) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 64)
	e.mu.Lock()
	e.subs[ch] = struct{}{}
	e.mu.Unlock()
	return ch, func() {
		e.mu.Lock()
		delete(e.subs, ch)
		e.mu.Unlock()
	}
}

func (e *Events) publish(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for ch := range e.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// Run listens until ctx ends, reconnecting with backoff when the database
// goes away.
func (e *Events) Run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := e.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		e.log.Warn("moderation events: listen failed; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if backoff < 5*time.Second {
			backoff *= 2
		}
		// After a gap, tell consoles to reload: they may have missed events.
		e.publish(Event{Event: "resync"})
	}
}

func (e *Events) listen(ctx context.Context) error {
	conn, err := e.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	defer func() { _, _ = conn.Exec(context.Background(), "UNLISTEN *") }()
	e.listeningOnce.Do(func() { close(e.listening) })
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var ev Event
		if err := json.Unmarshal([]byte(n.Payload), &ev); err == nil {
			e.publish(ev)
		}
	}
}

// ServeSSE streams events to one console as server-sent events: an "item"
// event per change, and one "ready" event as soon as this viewer is
// subscribed and the node is listening.
func (e *Events) ServeSSE(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the server's WriteTimeout would cut the stream
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ch, cancel := e.Subscribe()
	defer cancel()
	_, _ = w.Write([]byte("retry: 3000\n\n"))
	_ = rc.Flush()
	keepalive := time.NewTicker(25 * time.Second)
	defer keepalive.Stop()
	ready := e.listening
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ready:
			ready = nil
			if _, err := w.Write([]byte("event: ready\ndata: {}\n\n")); err != nil {
				return
			}
		case <-keepalive.C:
			if _, err := w.Write([]byte(": keepalive\n\n")); err != nil {
				return
			}
		case ev := <-ch:
			data, _ := json.Marshal(ev)
			if _, err := w.Write([]byte("event: item\ndata: " + string(data) + "\n\n")); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
