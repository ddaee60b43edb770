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

func none(t *testing.T, ch <-chan string) {
	t.Helper()
	select {
	case got := <-ch:
		t.Fatalf("unexpected %q", got)
	case <-time.After(200 * time.Millisecond):
	}
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
			time.Sleep(100 * time.Millisecond) // let the SUBSCRIBE reach Redis
			if err := pub.Publish(ctx, "room:1", []byte("xin chào")); err != nil {
				t.Fatal(err)
			}
			recv(t, ch, "xin chào")
			none(t, other)
			unsub()
			time.Sleep(100 * time.Millisecond)
			_ = pub.Publish(ctx, "room:1", []byte("after"))
			none(t, ch)
		})
	}
}
