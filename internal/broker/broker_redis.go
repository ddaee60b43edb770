package broker

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Redis fans out through Redis pub/sub. One PubSub connection per node
// carries every channel this node listens to; local handlers are dispatched
// from a single goroutine, which is why handlers must not block.
type Redis struct {
	client *redis.Client
	prefix string
	ps     *redis.PubSub

	mu     sync.Mutex
	nextID uint64
	subs   map[string]map[uint64]Handler // full channel name → id → handler; guarded by mu

	done chan struct{}
}

// NewRedis starts a broker on client. prefix namespaces channel names so
// that several deployments (or tests) can share one Redis.
func NewRedis(client *redis.Client, prefix string) *Redis {
	r := &Redis{client: client, prefix: prefix, subs: map[string]map[uint64]Handler{}, done: make(chan struct{})}
	// Subscribing with no channels opens the connection lazily; go-redis
	// re-subscribes by itself after a reconnect.
	r.ps = client.Subscribe(context.Background())
	go r.dispatch()
	return r
}

func (r *Redis) dispatch() {
	defer close(r.done)
	ch := r.ps.Channel(redis.WithChannelSize(4096))
	for msg := range ch {
		r.mu.Lock()
		hs := make([]Handler, 0, len(r.subs[msg.Channel]))
		for _, h := range r.subs[msg.Channel] {
			hs = append(hs, h)
		}
		r.mu.Unlock()
		data := []byte(msg.Payload)
		for _, h := range hs {
			h(data)
		}
	}
}

// Publish implements Broker.
func (r *Redis) Publish(ctx context.Context, channel string, data []byte) error {
	return r.client.Publish(ctx, r.prefix+channel, data).Err()
}

// Subscribe implements Broker.
func (r *Redis) Subscribe(ctx context.Context, channel string, h Handler) (func(), error) {
	full := r.prefix + channel
	r.mu.Lock()
	first := len(r.subs[full]) == 0
	r.nextID++
	id := r.nextID
	if first {
		r.subs[full] = map[uint64]Handler{}
	}
	r.subs[full][id] = h
	r.mu.Unlock()
	if first {
		if err := r.ps.Subscribe(ctx, full); err != nil {
			r.remove(full, id)
			return nil, err
		}
	}
	var once sync.Once
	return func() { once.Do(func() { r.remove(full, id) }) }, nil
}

func (r *Redis) remove(full string, id uint64) {
	r.mu.Lock()
	delete(r.subs[full], id)
	last := len(r.subs[full]) == 0
	if last {
		delete(r.subs, full)
	}
	r.mu.Unlock()
	if last {
		_ = r.ps.Unsubscribe(context.Background(), full)
	}
}

// Close implements Broker.
func (r *Redis) Close() error {
	err := r.ps.Close()
	<-r.done
	return err
}
