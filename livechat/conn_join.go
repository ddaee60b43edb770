package livechat

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
)

// A join replays at most one page of history. Whoever wants more asks for
// it, page by page, and each page counts against the join limits and the
// address's replay budget: re-joining with since 0 can no longer pull a
// room's whole history again and again (issue 9 item 13).
const (
	historyPageMessages = 200
	historyPageBytes    = 256 << 10
	// replayUnit is the step in which replayed bytes are charged to an
	// address's budget: a page costs at most historyPageBytes/replayUnit
	// limiter calls, and a resume that replays nothing costs none.
	replayUnit = 32 << 10
	// maxJoinStrikes joins sent before the retry_after of a refusal close
	// the socket: a client that honours retry_after never gets a strike.
	maxJoinStrikes = 10
)

// join authorizes, replays what the client missed after since from
// PostgreSQL (one page at most), and switches to live delivery with no gap
// and no duplicate: the switch happens under the room's lock only once the
// replay has caught up with what the room has delivered. A page that fills
// up first ends with a history frame instead, and the socket is not in the
// room until it asks for the rest.
func (c *Conn) join(ctx context.Context, f clientFrame) error {
	return retryable(c.joinRoom(ctx, f))
}

// joinUnavailableRetry is the retry_after of a join that failed because
// PostgreSQL (or the broker) did not answer.
const joinUnavailableRetry = 2 * time.Second

// retryable turns a join's outage error (anything not already a safe
// apperr: a driver error, a timeout) into `unavailable` with retry advice.
// While PostgreSQL was down, joins of rooms that exist used to be answered
// not_found, which tells a client to give up (issue 13).
func retryable(err error) error {
	if err == nil || apperr.KindOf(err) != apperr.Internal {
		return err
	}
	return &apperr.Error{Kind: apperr.Unavailable, Code: "unavailable", RetryAfter: joinUnavailableRetry, Err: err,
		Message: "the chat cannot reach its database just now; join again after retry_after seconds"}
}

func (c *Conn) joinRoom(ctx context.Context, f clientFrame) error {
	rn, ok := ParseRoom(f.Room)
	if !ok {
		return apperr.NotFoundf("unknown room %q", f.Room)
	}
	if err := c.allowJoin(ctx); err != nil {
		return err
	}
	if err := c.svc.authorizeJoin(ctx, c, rn, f.Token); err != nil {
		return err
	}
	name := rn.String()
	cursor := int64(0)
	if f.Since != nil && *f.Since > 0 {
		cursor = *f.Since
	}
	c.dropRoom(name) // joining again restarts the room
	if rn.Stored() {
		// A since beyond the room's last seq cannot be honoured: start from the end.
		last, _, err := c.svc.store.LastSeq(ctx, name)
		if err == nil && cursor > last {
			cursor = last
		}
		// An address whose replay budget is spent reads no page for nothing.
		if retry, spent := c.svc.replay.exhausted(c.ip); spent && err == nil && cursor < last {
			return c.refuseJoin(retry, "too much history sent to your address; wait before joining again")
		}
	}
	rm, err := c.svc.hub.acquire(ctx, name, rn.Stored())
	if errors.Is(err, errUnknownRoom) {
		return apperr.NotFoundf("unknown room %q", f.Room)
	}
	if err != nil {
		return err
	}
	if c.rooms == nil {
		c.rooms = map[string]*room{}
	}
	c.rooms[name] = rm
	if !rn.Stored() {
		rm.addLive(c, 0, c.joinedFrame(name))
		c.svc.afterJoin(c, rn)
		return nil
	}
	live, err := c.replay(ctx, rm, name, cursor)
	if !live {
		c.dropRoom(name)
	}
	if err != nil {
		return err
	}
	if live {
		c.svc.afterJoin(c, rn)
	}
	return nil
}

// replay sends the stored messages of rm after cursor, one page at most,
// and makes c a live subscriber once it has caught up (live). When the
// page fills up first it ends with a history frame: the client joins
// again with since = its seq for the next page.
func (c *Conn) replay(ctx context.Context, rm *room, name string, cursor int64) (live bool, err error) {
	count, size := 0, 0
	joined := c.joinedFrame(name)
	for {
		msgs, err := c.svc.store.ListMessages(ctx, name, cursor, historyPageMessages-count)
		if err != nil {
			return false, err
		}
		// The page ends at historyPageMessages or historyPageBytes, but
		// always carries one message, however long.
		frames, batch, full := make([][]byte, 0, len(msgs)), 0, false
		for _, m := range msgs {
			frame := mustJSON(m)
			if count+len(frames) > 0 && size+batch+len(frame) > historyPageBytes {
				full = true
				break
			}
			frames, batch = append(frames, frame), batch+len(frame)
		}
		if retry, ok := c.svc.replay.charge(ctx, c.ip, batch); !ok {
			return false, c.refuseJoin(retry, "too much history sent to your address; wait before joining again")
		}
		for i, frame := range frames {
			if !c.enqueueWait(frame) {
				return false, nil // closed
			}
			cursor = msgs[i].Seq
		}
		count, size = count+len(frames), size+batch
		if rm.addLive(c, cursor, joined) {
			return true, nil
		}
		if full || count >= historyPageMessages {
			c.reply(mustJSON(historyFrame{Type: frameHistory, Room: name, Seq: cursor, More: true}))
			return false, nil
		}
		// The room delivered beyond what we read (stored meanwhile): read on.
	}
}

func (c *Conn) joinedFrame(name string) func(last int64, viewers int) []byte {
	return func(last int64, viewers int) []byte {
		return mustJSON(joinedFrame{Type: frameJoined, Room: name, Seq: last, Viewers: viewers})
	}
}

// allowJoin spends one join (a page request is one) from the socket's
// bucket and from the address's allowance across all nodes (limiter
// failures let it through: the bucket still holds). Until the retry_after
// of its last refusal, a socket's joins are refused as strikes.
func (c *Conn) allowJoin(ctx context.Context) error {
	now := time.Now()
	if wait := c.joinRetryAt.Sub(now); wait > 0 {
		if c.joinStrikes++; c.joinStrikes >= maxJoinStrikes && c.closeWith(DisconnectJoinFlood) {
			c.svc.metrics.floodClosed.Add(1)
		}
		c.svc.metrics.joinsRefused.Add(1)
		return joinRefusal(wait, "you were asked to wait before joining again")
	}
	c.joinStrikes = 0
	if !c.joins.allow(now) {
		return c.refuseJoin(c.joins.wait(), "too many joins on this socket; wait before joining again")
	}
	if ok, retry, err := c.svc.limiter.Allow(ctx, "lc:join:"+c.ip, c.svc.opts.JoinsPerMinutePerIP, time.Minute); err == nil && !ok {
		return c.refuseJoin(retry, "too many joins from your address; wait before joining again")
	}
	return nil
}

// refuseJoin refuses a join as rate limited: the client must wait
// retry_after (whole seconds, at least one) before its next join.
func (c *Conn) refuseJoin(retry time.Duration, msg string) error {
	c.svc.metrics.joinsRefused.Add(1)
	retry = max(time.Second, time.Duration(math.Ceil(retry.Seconds()))*time.Second)
	c.joinRetryAt = time.Now().Add(retry)
	return joinRefusal(retry, msg)
}

func joinRefusal(retry time.Duration, msg string) error {
	return &apperr.Error{Kind: apperr.TooMany, Code: "rate_limited", Message: msg, RetryAfter: retry}
}

// dropRoom takes c out of room name, if it is in.
func (c *Conn) dropRoom(name string) {
	if rm := c.rooms[name]; rm != nil {
		rm.remove(c)
		c.svc.hub.release(rm)
		delete(c.rooms, name)
	}
}

func (c *Conn) leave(name string) error {
	if c.rooms[name] == nil {
		return apperr.Invalidf("not_joined", "you have not joined %q", name)
	}
	c.dropRoom(name)
	c.reply(mustJSON(roomFrame{Type: frameLeft, Room: name}))
	return nil
}

func (c *Conn) leaveAll() {
	for name := range c.rooms {
		c.dropRoom(name)
	}
}
