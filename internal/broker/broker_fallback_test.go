package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/localserver"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// newFallback is one node's broker on the Redis at url and pool.
func newFallback(t *testing.T, url string, pool *pgxpool.Pool) *Fallback {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	pg := NewPostgres(pool, "fb:")
	f := NewFallback(NewRedis(c, "fb:"), c, pg)
	f.Holdover = 500 * time.Millisecond
	t.Cleanup(func() { f.Close(); c.Close() })
	select {
	case <-pg.Listening():
	case <-time.After(10 * time.Second):
		t.Fatal("PostgreSQL broker never listened")
	}
	return f
}

// recvSet waits for every payload of want on ch, ignoring repeats (a
// payload may come by both roads around an outage).
func recvSet(t *testing.T, ch <-chan string, want ...string) {
	t.Helper()
	left := map[string]bool{}
	for _, w := range want {
		left[w] = true
	}
	deadline := time.After(5 * time.Second)
	for len(left) > 0 {
		select {
		case got := <-ch:
			delete(left, got)
		case <-deadline:
			t.Fatalf("never received %v", left)
		}
	}
}

// Redis stops: publishes keep reaching the other node, through PostgreSQL
// NOTIFY; a payload NOTIFY cannot carry is refused with ErrTooLarge; Redis
// back: publishes go through Redis alone again once the holdover ends.
func TestFallbackDeliversThroughPostgresWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rs, err := localserver.StartRedis(context.Background(), dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Stop() })
	port := rs.Port
	pool := testenv.NewDB(t)
	a, b := newFallback(t, rs.URL(), pool), newFallback(t, rs.URL(), pool)
	ctx := context.Background()
	ch := make(chan string, 64)
	if _, err := b.Subscribe(ctx, "room:1", func(p []byte) { ch <- string(p) }); err != nil {
		t.Fatal(err)
	}
	mustSubscribed(t, b.redis, "room:1", 1)
	if err := a.Publish(ctx, "room:1", []byte("trước")); err != nil {
		t.Fatal(err)
	}
	recv(t, ch, "trước")
	if n := a.ViaPostgres(); n != 0 {
		t.Fatalf("%d publishes through PostgreSQL with Redis up, want 0", n)
	}

	rs.Stop()
	for i := range 5 {
		if err := a.Publish(ctx, "room:1", []byte(fmt.Sprint("trong ", i))); err != nil {
			t.Fatalf("publish %d with Redis down: %v", i, err)
		}
		recvSet(t, ch, fmt.Sprint("trong ", i))
	}
	if !a.Degraded() || a.ViaPostgres() < 5 {
		t.Fatalf("degraded %v, %d through PostgreSQL; want degraded and ≥ 5", a.Degraded(), a.ViaPostgres())
	}
	// A room subscribed during the outage hears at once, and through Redis
	// once it is back (checked below).
	late := make(chan string, 64)
	start := time.Now()
	if _, err := b.Subscribe(ctx, "room:2", func(p []byte) { late <- string(p) }); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("subscribing with Redis down took %v", took)
	}
	if err := a.Publish(ctx, "room:2", []byte("muộn")); err != nil {
		t.Fatal(err)
	}
	recvSet(t, late, "muộn")
	if err := a.Publish(ctx, "room:1", []byte(strings.Repeat("x", MaxNotifyPayload))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a payload over NOTIFY's limit: %v, want ErrTooLarge", err)
	}

	if rs, err = localserver.StartRedis(context.Background(), dir, port); err != nil {
		t.Fatal(err)
	}
	mustSubscribed(t, b.redis, "room:1", 1) // b's subscription is back by itself
	mustSubscribed(t, b.redis, "room:2", 1) // and the one made during the outage
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; a.Degraded(); i++ {
		if time.Now().After(deadline) {
			t.Fatal("still degraded 10 s after Redis came back")
		}
		if err := a.Publish(ctx, "room:1", []byte(fmt.Sprint("sau ", i))); err != nil {
			t.Fatal(err)
		}
		recvSet(t, ch, fmt.Sprint("sau ", i))
	}
	before := a.ViaPostgres()
	if err := a.Publish(ctx, "room:1", []byte("bình thường")); err != nil {
		t.Fatal(err)
	}
	recvSet(t, ch, "bình thường")
	if err := a.Publish(ctx, "room:2", []byte("qua Redis")); err != nil {
		t.Fatal(err)
	}
	recvSet(t, late, "qua Redis")
	if a.ViaPostgres() != before {
		t.Fatal("a publish after the holdover went through PostgreSQL")
	}
}
