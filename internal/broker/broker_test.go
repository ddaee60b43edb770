package broker

import (
	"context"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newRedisBroker(t *testing.T, prefix string) *Redis {
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	b := NewRedis(c, prefix)
	t.Cleanup(func() { b.Close(); c.Close() })
	return b
}

func recv(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("no message %q", want)
	}
}

// empty fails if ch holds a message.
func empty(t *testing.T, ch <-chan string) {
	t.Helper()
	select {
	case got := <-ch:
		t.Fatalf("unexpected %q", got)
	default:
	}
}

// mustSubscribed waits until b's subscription to channel is in place: the
// in-memory broker subscribes synchronously; for Redis it polls PUBSUB
// NUMSUB, since SUBSCRIBE returns before Redis has applied it.
func mustSubscribed(t *testing.T, b Broker, channel string, n int64) {
	t.Helper()
	r, ok := b.(*Redis)
	if !ok {
		return
	}
	full := r.prefix + channel
	var got map[string]int64
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got, err = r.client.PubSubNumSub(context.Background(), full).Result(); err == nil && got[full] == n {
			return
		}
	}
	t.Fatalf("subscribers of %s: %v (%v), want %d", full, got, err, n)
}

func TestBrokers(t *testing.T) {
	prefix := testenv.RedisPrefix(t)
	for name, pair := range map[string][2]Broker{
		"Memory": func() [2]Broker { m := NewMemory(); return [2]Broker{m, m} }(),
		// Two Redis brokers stand for two nodes.
		"Redis": {newRedisBroker(t, prefix), newRedisBroker(t, prefix)},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			pub, sub := pair[0], pair[1]
			ch := make(chan string, 8)
			other := make(chan string, 8)
			unsub, err := sub.Subscribe(ctx, "room:1", func(b []byte) { ch <- string(b) })
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sub.Subscribe(ctx, "room:2", func(b []byte) { other <- string(b) }); err != nil {
				t.Fatal(err)
			}
			mustSubscribed(t, sub, "room:1", 1)
			mustSubscribed(t, sub, "room:2", 1)
			if err := pub.Publish(ctx, "room:1", []byte("xin chào")); err != nil {
				t.Fatal(err)
			}
			recv(t, ch, "xin chào")
			unsub()
			mustSubscribed(t, sub, "room:1", 0)
			// One connection delivers in publish order: once the marker on
			// room:2 is in, anything room:1 or room:2 were to get is too.
			if err := pub.Publish(ctx, "room:1", []byte("after")); err != nil {
				t.Fatal(err)
			}
			if err := pub.Publish(ctx, "room:2", []byte("marker")); err != nil {
				t.Fatal(err)
			}
			recv(t, other, "marker")
			empty(t, ch)
			empty(t, other)
		})
	}
}
