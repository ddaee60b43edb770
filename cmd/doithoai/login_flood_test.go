package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// lineRecorder is a log destination that keeps the longest line seen.
type lineRecorder struct {
	mu      sync.Mutex
	lines   int
	longest []byte
}

func (l *lineRecorder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range bytes.Split(p, []byte("\n")) {
		if len(line) > len(l.longest) {
			l.longest = append([]byte(nil), line...)
		}
	}
	l.lines++
	return len(p), nil
}

// redisRateKeys returns the node's rate-limit keys and the bytes Redis
// holds for them.
func redisRateKeys(t *testing.T, rc *redis.Client) (keys int, bytes int64) {
	t.Helper()
	ctx := context.Background()
	iter := rc.Scan(ctx, 0, redisPrefix+"rl:*", 1000).Iterator()
	for iter.Next(ctx) {
		keys++
		n, err := rc.MemoryUsage(ctx, iter.Val()).Result()
		if err != nil {
			t.Fatal(err)
		}
		bytes += n
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return keys, bytes
}

// TestLoginRejectsOversizedCredentials: 200 logins with 500 KB logins or
// passwords are refused with 400 before they reach the rate limiter, the
// hash or the log. Not parallel: it measures the shared Redis.
func TestLoginRejectsOversizedCredentials(t *testing.T) {
	rec := &lineRecorder{}
	n := MustStartNode(t, "", withLog(rec, slog.LevelDebug), withEnv("REDIS_URL", testenv.RedisURL(t)))
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opts)
	defer rc.Close()
	keysBefore, bytesBefore := redisRateKeys(t, rc)

	c := newClient(t, n)
	huge := strings.Repeat("a", 500<<10)
	wrong := 0 // answers other than a clear 400; reported once, so the Redis and log checks still run
	for i := 0; i < 200; i++ {
		login, password := huge+strconv.Itoa(i), "some password"
		if i%4 >= 2 {
			login, password = "mod-flood", huge+strconv.Itoa(i)
		}
		var r *http.Response
		if i%2 == 0 {
			r = c.Do("POST", "/api/v1/session", map[string]string{"login": login, "password": password}, nil)
		} else {
			r = c.PostForm("/login?lang=en", url.Values{"login": {login}, "password": {password}})
		}
		body, _ := io.ReadAll(r.Body)
		clear := strings.Contains(string(body), map[bool]string{true: `"credentials_too_long"`, false: "too long"}[i%2 == 0])
		if r.StatusCode != 400 || !clear || len(body) > 64<<10 {
			if wrong++; wrong == 1 {
				t.Errorf("login %d: %d, %d bytes: %.200s", i, r.StatusCode, len(body), body)
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of 200 oversized logins were not refused with a clear 400", wrong)
	}

	keysAfter, bytesAfter := redisRateKeys(t, rc)
	if keysAfter-keysBefore > 2 || bytesAfter-bytesBefore > 4<<10 {
		t.Errorf("rate-limit keys in Redis: %d → %d, %d → %d bytes", keysBefore, keysAfter, bytesBefore, bytesAfter)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.longest) > 1024 {
		t.Errorf("a log line of %d bytes: %.200s…", len(rec.longest), rec.longest)
	}
	if rec.lines == 0 {
		t.Error("the node logged nothing; the log is not captured")
	}
}
