package ratelimit

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// TestLimiterKeysAreBounded: a caller may build keys from attacker data (a
// 500 KB login); what the limiter stores stays small, and distinct long
// keys still count apart.
func TestLimiterKeysAreBounded(t *testing.T) {
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	prefix := testenv.RedisPrefix(t)
	mem := NewMemory()
	ctx := context.Background()
	long := "login:user:" + strings.Repeat("x", 500<<10)
	for name, l := range map[string]Limiter{"Memory": mem, "Redis": NewRedis(c, prefix)} {
		for i := 0; i < 3; i++ {
			if ok, _, err := l.Allow(ctx, long, 2, time.Minute); err != nil || ok != (i < 2) {
				t.Fatalf("%s: event %d: ok=%v err=%v", name, i, ok, err)
			}
		}
		if ok, _, _ := l.Allow(ctx, long+"y", 2, time.Minute); !ok {
			t.Fatalf("%s: two long keys share a count", name)
		}
	}
	keys, err := c.Keys(ctx, prefix+"*").Result()
	if err != nil || len(keys) != 2 {
		t.Fatalf("redis keys %d (%v), want 2", len(keys), err)
	}
	for _, k := range keys {
		if len(k) > len(prefix)+200 {
			t.Errorf("redis key of %d bytes stored", len(k))
		}
	}
	for k := range mem.windows {
		if len(k) > 200 {
			t.Errorf("memory key of %d bytes stored", len(k))
		}
	}
}

// TestMemoryLimiterIsBounded: a flood of distinct keys inside one window
// cannot grow the in-process map without end.
func TestMemoryLimiterIsBounded(t *testing.T) {
	m := NewMemory()
	ctx := context.Background()
	for i := 0; i < 150_000; i++ {
		if _, _, err := m.Allow(ctx, fmt.Sprintf("k%d", i), 5, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(m.windows); n > 100_000 {
		t.Fatalf("%d windows kept, want at most 100000", n)
	}
	// The newest keys are still counted.
	if ok, _, _ := m.Allow(ctx, "k149999", 1, time.Hour); ok {
		t.Fatal("the newest key lost its count")
	}
}
