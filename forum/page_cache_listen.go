package forum

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pageNotifyChannel is what migration 00077's triggers NOTIFY.
const pageNotifyChannel = "forum_pages"

// runPageListener holds a LISTEN forum_pages connection until ctx ends,
// reconnecting with back-off, and turns each notification into an
// invalidation. The connection is its own, not one of the pool's, so page
// misses keep every pool connection. The cache is live only while LISTEN
// is in place; each (re)connection empties it, since what was committed
// meanwhile was not heard.
func runPageListener(ctx context.Context, pool *pgxpool.Pool, c *pageCache, warn func(msg string, args ...any)) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := listenPages(ctx, pool, c)
		c.setLive(false)
		if ctx.Err() != nil {
			return
		}
		warn("forum page cache: LISTEN lost; pages are rendered for every view until it is back", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func listenPages(ctx context.Context, pool *pgxpool.Pool, c *pageCache) error {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pageNotifyChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	c.setLive(true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		if n.Payload == "*" {
			c.setLive(true) // empties it
			continue
		}
		id, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			c.setLive(true) // not ours to understand: safest is to forget everything
			continue
		}
		c.invalidate(id)
	}
}
