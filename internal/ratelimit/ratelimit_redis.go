package ratelimit

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis shares counts between nodes.
type Redis struct {
	client *redis.Client
	prefix string
}

// NewRedis returns a limiter storing counters under prefix+"rl:".
func NewRedis(client *redis.Client, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix + "rl:"}
}

// allowScript counts one event unless the window is full, atomically, and
// starts the window's expiry on its first event. It returns whether the
// event was admitted and the time left in the window.
var allowScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local admitted = 0
if n < tonumber(ARGV[2]) then
  admitted = 1
  if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
if ttl < 0 then ttl = tonumber(ARGV[1]) end
return {admitted, ttl}
`)

// refundScript takes one event back without touching the expiry.
var refundScript = redis.NewScript(`
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
return 0
`)

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, limit int, per time.Duration) (bool, time.Duration, error) {
	res, err := allowScript.Run(ctx, r.client, []string{r.prefix + storedKey(key)}, per.Milliseconds(), limit).Int64Slice()
	if err != nil {
		return false, 0, err
	}
	if res[0] == 0 {
		return false, time.Duration(res[1]) * time.Millisecond, nil
	}
	return true, 0, nil
}

// Refund implements Limiter.
func (r *Redis) Refund(ctx context.Context, key string) error {
	return refundScript.Run(ctx, r.client, []string{r.prefix + storedKey(key)}).Err()
}

// peekScript returns the window's count and the time left, changing nothing.
var peekScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
return {n, redis.call('PTTL', KEYS[1])}
`)

// Peek implements Limiter.
func (r *Redis) Peek(ctx context.Context, key string, limit int) (bool, time.Duration, error) {
	res, err := peekScript.Run(ctx, r.client, []string{r.prefix + storedKey(key)}).Int64Slice()
	if err != nil {
		return false, 0, err
	}
	if int(res[0]) < limit || res[1] <= 0 {
		return true, 0, nil
	}
	return false, time.Duration(res[1]) * time.Millisecond, nil
}

// Reset implements Limiter.
func (r *Redis) Reset(ctx context.Context, key string) error {
	return r.client.Del(ctx, r.prefix+storedKey(key)).Err()
}
