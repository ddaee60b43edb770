package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestLimiters(t *testing.T) {
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	for name, l := range map[string]Limiter{"Memory": NewMemory(), "Redis": NewRedis(c, testenv.RedisPrefix(t))} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			for i := 0; i < 3; i++ {
				if ok, _, err := l.Allow(ctx, "k", 3, time.Second); err != nil || !ok {
					t.Fatalf("event %d refused: %v", i, err)
				}
			}
			ok, retry, err := l.Allow(ctx, "k", 3, time.Second)
			if err != nil || ok || retry <= 0 || retry > time.Second {
				t.Fatalf("4th event: ok=%v retry=%v err=%v", ok, retry, err)
			}
			// A refused event is not counted, so one refund reopens a slot.
			if err := l.Refund(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if ok, _, _ := l.Allow(ctx, "k", 3, time.Second); !ok {
				t.Fatal("refused after a refund")
			}
			if ok, _, _ := l.Allow(ctx, "k", 3, time.Second); ok {
				t.Fatal("a refund gave back more than one event")
			}
			if err := l.Refund(ctx, "never-seen"); err != nil {
				t.Fatal(err)
			}
			if ok, _, _ := l.Allow(ctx, "other", 3, time.Second); !ok {
				t.Fatal("keys are not independent")
			}
			if err := l.Reset(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if ok, _, _ := l.Allow(ctx, "k", 3, time.Second); !ok {
				t.Fatal("refused after reset")
			}
			// Peek tells what the next Allow would say, and records nothing.
			for i := 0; i < 5; i++ {
				if ok, _, err := l.Peek(ctx, "p", 2); err != nil || !ok {
					t.Fatalf("peek %d on an empty key: ok=%v err=%v", i, ok, err)
				}
			}
			if ok, _, _ := l.Allow(ctx, "p", 2, time.Second); !ok {
				t.Fatal("peeks were counted: the first event was refused")
			}
			if ok, _, _ := l.Peek(ctx, "p", 2); !ok {
				t.Fatal("peek refused with one event of two")
			}
			l.Allow(ctx, "p", 2, time.Second)
			if ok, retry, err := l.Peek(ctx, "p", 2); err != nil || ok || retry <= 0 || retry > time.Second {
				t.Fatalf("peek with the budget used: ok=%v retry=%v err=%v", ok, retry, err)
			}
			if ok, _, _ := l.Allow(ctx, "p", 2, time.Second); ok {
				t.Fatal("a third event of two was admitted after peeks said no")
			}
			if ok, _, _ := l.Allow(ctx, "w", 1, 100*time.Millisecond); !ok {
				t.Fatal("first event of a window refused")
			}
			time.Sleep(150 * time.Millisecond)
			if ok, _, _ := l.Allow(ctx, "w", 1, 100*time.Millisecond); !ok {
				t.Fatal("the window did not reopen")
			}
		})
	}
}
