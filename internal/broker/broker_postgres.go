package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// MaxNotifyPayload is the largest payload PostgreSQL's NOTIFY carries
// (8000 bytes in a default build), channel name included.
const MaxNotifyPayload = 7999

// ErrTooLarge is returned by a publish that NOTIFY cannot carry: the
// caller sends a pointer instead (livechat sends the room and seq, and
// receivers read the message from PostgreSQL).
var ErrTooLarge = errors.New("broker: payload too large for PostgreSQL NOTIFY")

// pgChannel is the one NOTIFY channel every node LISTENs on; payloads say
// which broker channel they belong to ("<channel>\n<data>"), so that one
// LISTEN serves every room and subscribing costs no round trip.
const pgChannel = "doithoai_broker"

// Postgres fans out through PostgreSQL LISTEN/NOTIFY. It is the fallback
// while Redis is down (see Fallback): every node already has PostgreSQL,
// and NOTIFY reaches every listening node of the database. It holds one
// pool connection for its LISTEN and reconnects when the database returns.
type Postgres struct {
	pool   *pgxpool.Pool
	prefix string

	mu     sync.Mutex
	nextID uint64
	subs   map[string]map[uint64]Handler // full channel name → id → handler; guarded by mu

	listening chan struct{} // closed once LISTEN is first in place
	once      sync.Once
	cancel    context.CancelFunc
	done      chan struct{}
}

// NewPostgres starts a broker on pool; prefix namespaces channel names as
// for Redis.
func NewPostgres(pool *pgxpool.Pool, prefix string) *Postgres {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Postgres{pool: pool, prefix: prefix, subs: map[string]map[uint64]Handler{},
		listening: make(chan struct{}), cancel: cancel, done: make(chan struct{})}
	go p.run(ctx)
	return p
}

// Listening is closed once the broker's LISTEN is first in place.
func (p *Postgres) Listening() <-chan struct{} { return p.listening }

func (p *Postgres) run(ctx context.Context) {
	defer close(p.done)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := p.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		_ = err // the database is away: what it misses, receivers fill from PostgreSQL later
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (p *Postgres) listen(ctx context.Context) error {
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire listen connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+pgChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, _ = conn.Exec(uctx, "UNLISTEN *")
		cancel()
	}()
	p.once.Do(func() { close(p.listening) })
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		full, data, ok := strings.Cut(n.Payload, "\n")
		if !ok {
			continue
		}
		p.mu.Lock()
		hs := make([]Handler, 0, len(p.subs[full]))
		for _, h := range p.subs[full] {
			hs = append(hs, h)
		}
		p.mu.Unlock()
		for _, h := range hs {
			h([]byte(data))
		}
	}
}

// Publish implements Broker. data must be text without NUL bytes, and fit
// in MaxNotifyPayload with the channel name (else ErrTooLarge).
func (p *Postgres) Publish(ctx context.Context, channel string, data []byte) error {
	full := p.prefix + channel
	if len(full)+1+len(data) > MaxNotifyPayload {
		return ErrTooLarge
	}
	if bytes.IndexByte(data, 0) >= 0 || strings.IndexByte(full, '\n') >= 0 {
		return errors.New("broker: NOTIFY payloads are text without NUL; channel names have no newline")
	}
	if _, err := p.pool.Exec(ctx, "SELECT pg_notify($1, $2)", pgChannel, full+"\n"+string(data)); err != nil {
		return fmt.Errorf("notify %s: %w", full, err)
	}
	return nil
}

// Subscribe implements Broker; it only registers h locally (one LISTEN
// serves every channel).
func (p *Postgres) Subscribe(_ context.Context, channel string, h Handler) (func(), error) {
	full := p.prefix + channel
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	if p.subs[full] == nil {
		p.subs[full] = map[uint64]Handler{}
	}
	p.subs[full][id] = h
	p.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			delete(p.subs[full], id)
			if len(p.subs[full]) == 0 {
				delete(p.subs, full)
			}
			p.mu.Unlock()
		})
	}, nil
}

// Close implements Broker.
func (p *Postgres) Close() error {
	p.cancel()
	<-p.done
	return nil
}
