package broker

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Fallback publishes through Redis and, while Redis fails, through
// PostgreSQL NOTIFY. Subscribers listen on both at all times, so whichever
// road a payload takes it arrives; a payload may arrive twice around an
// outage (see Publish), which consumers must tolerate: livechat drops a seq
// it has delivered already, and its transient events are idempotent.
//
// Without it, a Redis outage left cross-node delivery to livechat's
// periodic PostgreSQL check (p99 817 ms, 1.7 s max in the fault run).
type Fallback struct {
	redis  *Redis
	pg     *Postgres
	client *redis.Client

	// Holdover is how long after Redis last failed every publish still
	// goes through PostgreSQL too: receivers' Redis subscriptions come
	// back some time after the publisher's own connection does.
	Holdover time.Duration
	// Timeout bounds one Redis publish or probe; beyond it Redis counts
	// as failed (a PUBLISH on a healthy Redis takes well under 1 ms).
	Timeout time.Duration

	mu       sync.Mutex
	lastFail time.Time // guarded by mu; zero while Redis has not failed
	probing  bool      // guarded by mu
	redisUp  atomic.Bool
	closed   chan struct{}
	wg       sync.WaitGroup
	degraded atomic.Int64 // publishes sent through PostgreSQL, for metrics and tests
}

// NewFallback combines the Redis broker r (on client) with the PostgreSQL
// broker pg. Both must share the prefix.
func NewFallback(r *Redis, client *redis.Client, pg *Postgres) *Fallback {
	f := &Fallback{redis: r, pg: pg, client: client, Holdover: 10 * time.Second, Timeout: 100 * time.Millisecond,
		closed: make(chan struct{})}
	f.redisUp.Store(true)
	return f
}

// ViaPostgres is the number of publishes sent through PostgreSQL so far.
func (f *Fallback) ViaPostgres() int64 { return f.degraded.Load() }

// Degraded reports whether publishes currently go through PostgreSQL.
func (f *Fallback) Degraded() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.degradedLocked(time.Now())
}

func (f *Fallback) degradedLocked(now time.Time) bool {
	return !f.lastFail.IsZero() && now.Sub(f.lastFail) < f.Holdover
}

// Publish implements Broker. Healthy: Redis only. Redis fails: the same
// payload goes through PostgreSQL at once. Degraded (Redis failed within
// Holdover): PostgreSQL first, and Redis as well once a probe sees it
// answer again, for the nodes whose subscriptions are back already.
func (f *Fallback) Publish(ctx context.Context, channel string, data []byte) error {
	f.mu.Lock()
	degraded := f.degradedLocked(time.Now())
	f.mu.Unlock()
	if !degraded {
		if err := f.publishRedis(ctx, channel, data); err == nil {
			return nil
		}
		f.failed()
		return f.publishPG(ctx, channel, data)
	}
	errPG := f.publishPG(ctx, channel, data)
	if f.redisUp.Load() {
		if err := f.publishRedis(ctx, channel, data); err != nil {
			f.failed()
		} else if errPG != nil && !errors.Is(errPG, ErrTooLarge) {
			return nil
		}
	}
	return errPG
}

func (f *Fallback) publishRedis(ctx context.Context, channel string, data []byte) error {
	rctx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	return f.redis.Publish(rctx, channel, data)
}

func (f *Fallback) publishPG(ctx context.Context, channel string, data []byte) error {
	f.degraded.Add(1)
	return f.pg.Publish(ctx, channel, data)
}

// failed records a Redis failure and starts the probe that sees it back.
func (f *Fallback) failed() {
	f.redisUp.Store(false)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastFail = time.Now()
	if f.probing {
		return
	}
	select {
	case <-f.closed:
		return
	default:
	}
	f.probing = true
	f.wg.Add(1)
	go f.probe()
}

// probe pings Redis while degraded: Redis answering again is the signal
// to publish through it too, and Holdover after the last failure the
// fallback ends.
func (f *Fallback) probe() {
	defer f.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-f.closed:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), f.Timeout)
		err := f.client.Ping(ctx).Err()
		cancel()
		f.mu.Lock()
		now := time.Now()
		if err != nil {
			f.lastFail = now
		}
		f.redisUp.Store(err == nil)
		if !f.degradedLocked(now) {
			f.probing = false
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
	}
}

// Subscribe implements Broker: on both roads. A Redis that is down (or
// degraded) at subscribe time is subscribed in the background.
func (f *Fallback) Subscribe(ctx context.Context, channel string, h Handler) (func(), error) {
	unPG, err := f.pg.Subscribe(ctx, channel, h)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var unRedis func()
	stop := make(chan struct{})
	// While degraded, a join need not wait for a Redis that is likely down:
	// the subscription is made in the background, PostgreSQL serves now.
	if !f.Degraded() {
		sctx, cancel := context.WithTimeout(ctx, 5*f.Timeout)
		un, err := f.redis.Subscribe(sctx, channel, h)
		cancel()
		if err == nil {
			unRedis = un
		} else {
			f.failed()
		}
	}
	if unRedis == nil {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
				select {
				case <-stop:
					return
				case <-f.closed:
					return
				case <-time.After(wait):
				}
				sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				un, err := f.redis.Subscribe(sctx, channel, h)
				cancel()
				if err == nil {
					mu.Lock()
					select {
					case <-stop:
						un()
					default:
						unRedis = un
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			mu.Lock()
			close(stop)
			if unRedis != nil {
				unRedis()
			}
			mu.Unlock()
			unPG()
		})
	}, nil
}

// Close implements Broker.
func (f *Fallback) Close() error {
	f.mu.Lock()
	select {
	case <-f.closed:
	default:
		close(f.closed)
	}
	f.mu.Unlock()
	f.wg.Wait()
	return errors.Join(f.redis.Close(), f.pg.Close())
}
