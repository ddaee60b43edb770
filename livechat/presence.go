package livechat

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Viewer counts. Each node writes its own count of a room's sockets into
// a Redis hash (field = node id, value = "count:unix-ms") on every sync
// tick and sums the fields that are fresh; a node that died stops
// refreshing its field and drops out of the sum. Without Redis (or while it
// is away) a node counts its own sockets only.

func (h *Hub) presenceKey(room string) string { return h.opts.RedisPrefix + "lc:viewers:" + room }

// refreshPresence recomputes the viewer count of rooms and tells their
// local subscribers when it changed.
func (h *Hub) refreshPresence(rooms []*room) {
	if len(rooms) == 0 {
		return
	}
	local := make([]int, len(rooms))
	for i, rm := range rooms {
		local[i] = rm.localViewers()
	}
	totals := append([]int(nil), local...)
	if h.opts.Redis != nil {
		if t, err := h.redisViewers(rooms, local); err != nil {
			if h.ctx.Err() == nil {
				h.log.Debug("livechat: presence in Redis unavailable; counting this node only", "err", err)
			}
		} else {
			totals = t
		}
	}
	for i, rm := range rooms {
		rm.mu.Lock()
		changed := rm.viewers != totals[i]
		rm.viewers = totals[i]
		rm.mu.Unlock()
		if changed && rm.name != RoomQueue {
			n := totals[i]
			rm.receive(0, mustJSON(event{Type: framePresence, Room: rm.name, Viewers: &n}))
		}
	}
}

func (h *Hub) redisViewers(rooms []*room, local []int) ([]int, error) {
	ctx, cancel := context.WithTimeout(h.ctx, 2*time.Second)
	defer cancel()
	now := time.Now()
	stamp := strconv.FormatInt(now.UnixMilli(), 10)
	fresh := now.Add(-3 * h.opts.SyncInterval).UnixMilli()
	pipe := h.opts.Redis.Pipeline()
	gets := make([]*redis.MapStringStringCmd, len(rooms))
	for i, rm := range rooms {
		key := h.presenceKey(rm.name)
		if local[i] > 0 {
			pipe.HSet(ctx, key, h.nodeID, strconv.Itoa(local[i])+":"+stamp)
		} else {
			pipe.HDel(ctx, key, h.nodeID)
		}
		pipe.Expire(ctx, key, time.Minute)
		gets[i] = pipe.HGetAll(ctx, key)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	out := make([]int, len(rooms))
	for i, g := range gets {
		for _, v := range g.Val() {
			count, at, ok := strings.Cut(v, ":")
			n, err1 := strconv.Atoi(count)
			ms, err2 := strconv.ParseInt(at, 10, 64)
			if ok && err1 == nil && err2 == nil && ms >= fresh {
				out[i] += n
			}
		}
	}
	return out, nil
}

// Online is how many sockets are in room across the deployment now: this
// node's own, plus what the other nodes last wrote to Redis (fresh fields
// only). Chat operators online are the sockets in the queue room, which
// only they may join.
func (h *Hub) Online(ctx context.Context, room string) int {
	n := 0
	if rm := h.lookup(room); rm != nil {
		n = rm.localViewers()
	}
	if h.opts.Redis == nil {
		return n
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	vals, err := h.opts.Redis.HGetAll(ctx, h.presenceKey(room)).Result()
	if err != nil {
		return n
	}
	fresh := time.Now().Add(-3 * h.opts.SyncInterval).UnixMilli()
	for node, v := range vals {
		if node == h.nodeID {
			continue
		}
		count, at, ok := strings.Cut(v, ":")
		c, err1 := strconv.Atoi(count)
		ms, err2 := strconv.ParseInt(at, 10, 64)
		if ok && err1 == nil && err2 == nil && ms >= fresh {
			n += c
		}
	}
	return n
}
