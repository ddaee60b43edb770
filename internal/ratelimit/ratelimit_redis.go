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

// allowScript increments the window counter and starts its expiry on the
// first event, atomically, returning the count and the time left.
var allowScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
`)

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, limit int, per time.Duration) (bool, time.Duration, error) {
	res, err := allowScript.Run(ctx, r.client, []string{r.prefix + key}, per.Milliseconds()).Int64Slice()
	if err != nil {
		return false, 0, err
	}
	if int(res[0]) > limit {
		return false, time.Duration(res[1]) * time.Millisecond, nil
	}
	return true, 0, nil
}

// peekScript returns the window's count and the time left, changing nothing.
var peekScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
return {n, redis.call('PTTL', KEYS[1])}
`)

// Peek implements Limiter.
func (r *Redis) Peek(ctx context.Context, key string, limit int) (bool, time.Duration, error) {
	res, err := peekScript.Run(ctx, r.client, []string{r.prefix + key}).Int64Slice()
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
	return r.client.Del(ctx, r.prefix+key).Err()
}
