package livechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/internal/apperr"
)

// readBufs lends frame buffers to reader goroutines only while they read
// a frame, so an idle socket holds none.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, MaxFrameBytes+1); return &b }}

// maxBadFrames malformed or refused frames in a row close the socket;
// maxDropped frames over the rate limit in one burst do too.
const (
	maxBadFrames = 20
	maxDropped   = 50
)

// readLoop is the socket's reader goroutine: it reads frames one at a
// time until the socket closes, then leaves every room. It spends the
// socket's life waiting in a read, so whatever goes deeper than reading
// (JSON, PostgreSQL, replies) runs on a short-lived goroutine of its own
// (offload): a goroutine's stack stays as large as it ever grew, and an
// idle viewer should keep only what a read needs.
func (c *Conn) readLoop() {
	defer c.svc.hub.unregister(c)
	defer c.offload(c.leaveAll)
	dropped := 0
	for {
		typ, rd, err := c.ws.Reader(context.Background())
		if err != nil {
			if errors.Is(err, websocket.ErrMessageTooBig) {
				c.closeWith(DisconnectTooBig)
			}
			c.closeWith(DisconnectShutdown) // already closed: no-op
			return
		}
		c.alive()
		bp := readBufs.Get().(*[]byte)
		buf := bytes.NewBuffer((*bp)[:0])
		_, err = buf.ReadFrom(io.LimitReader(rd, MaxFrameBytes+1))
		tooLarge := err == nil && buf.Len() > MaxFrameBytes
		if tooLarge {
			_, err = io.Copy(io.Discard, rd)
		}
		if err != nil {
			readBufs.Put(bp)
			if tooLarge || errors.Is(err, websocket.ErrMessageTooBig) {
				c.closeWith(DisconnectTooBig)
			}
			return
		}
		// The frame (small, typically) leaves the pool's buffer before it is
		// handled: a join may wait long for PostgreSQL, and buffers held
		// meanwhile by thousands of joining sockets would all come back to
		// the pool and stay there until two GCs later (135 MB after 20,000
		// joins, measured).
		var data []byte
		if !tooLarge {
			data = bytes.Clone(buf.Bytes())
		}
		if cap(buf.Bytes()) <= 2*(MaxFrameBytes+1) {
			*bp = buf.Bytes()[:0]
			readBufs.Put(bp)
		}
		stop := false
		c.offload(func() { stop = c.process(typ, data, tooLarge, &dropped) })
		if stop {
			return
		}
	}
}

// offload runs f on a goroutine of its own and waits for it.
func (c *Conn) offload(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

// process handles one frame read by readLoop (too large: over
// MaxFrameBytes, and skipped) and says whether the reader should stop.
func (c *Conn) process(typ websocket.MessageType, data []byte, tooLarge bool, dropped *int) (stop bool) {
	switch {
	case tooLarge:
		c.reply(errFrame("too_large", "a frame may be at most 8 KB", "", ""))
		c.badFrame()
		return c.isClosed()
	case !c.bucket.allow(time.Now()):
		if *dropped++; *dropped > maxDropped {
			c.svc.metrics.floodClosed.Add(1)
			c.closeWith(DisconnectFlood)
			return true
		}
		if *dropped == 1 {
			c.reply(errFrame("rate_limited", "too many frames; slow down", "", ""))
		}
		return false
	}
	*dropped = 0
	if typ != websocket.MessageText {
		c.reply(errFrame("bad_frame", "send JSON in text frames", "", ""))
		c.badFrame()
	} else {
		c.handle(c.svc.hub.ctx, data)
	}
	return c.isClosed()
}

// reply queues a frame for this socket from its reader goroutine.
func (c *Conn) reply(frame []byte) { c.enqueueWait(frame) }

func (c *Conn) badFrame() {
	if c.bad++; c.bad > maxBadFrames {
		c.closeWith(DisconnectBadFrames)
	}
}

// handle dispatches one client frame.
func (c *Conn) handle(ctx context.Context, data []byte) {
	var f clientFrame
	if !utf8.Valid(data) {
		c.reply(errFrame("bad_json", "frames must be valid UTF-8", "", ""))
		c.badFrame()
		return
	}
	if err := json.Unmarshal(data, &f); err != nil {
		c.reply(errFrame("bad_json", "a frame is one JSON object with a type", "", ""))
		c.badFrame()
		return
	}
	var err error
	switch f.Type {
	case frameJoin:
		err = c.join(ctx, f)
	case frameLeave:
		err = c.leave(f.Room)
	case frameSend:
		err = c.send(ctx, f)
	case frameTyping:
		err = c.typing(f)
	case framePing:
		c.reply([]byte(`{"type":"pong"}`))
	default:
		err = apperr.Invalidf("unknown_type", "unknown frame type %q", f.Type)
	}
	if err != nil {
		e := apperr.As(err)
		switch {
		case e.Kind == apperr.Internal:
			c.svc.log.Error("livechat: frame failed", "type", f.Type, "room", f.Room, "err", err)
		case e.Kind == apperr.TooMany && f.Type == frameJoin:
			// not malformed: allowJoin counts and closes persistent ones
		case e.Kind == apperr.Unavailable:
			// an outage, not the client's fault: it retries after retry_after
			c.svc.log.Warn("livechat: frame failed during an outage", "type", f.Type, "room", f.Room, "err", err)
		default:
			c.badFrame()
		}
		ef := errorFrame{Type: frameError, Code: e.Code, Message: e.Message, Room: f.Room, ClientID: f.ClientID}
		if e.RetryAfter > 0 {
			ef.RetryAfter = int(math.Ceil(e.RetryAfter.Seconds()))
		}
		c.reply(mustJSON(ef))
		return
	}
	c.bad = 0
}

// send stores a chat line and acknowledges it once stored.
func (c *Conn) send(ctx context.Context, f clientFrame) error {
	rn, ok := ParseRoom(f.Room)
	if !ok {
		return apperr.NotFoundf("unknown room %q", f.Room)
	}
	if c.rooms[rn.String()] == nil {
		return apperr.Invalidf("not_joined", "join %q before sending to it", f.Room)
	}
	if rn.Kind != roomConv {
		return apperr.New(apperr.Forbidden, "read_only", "this room is read-only; ask through the question form")
	}
	if len(f.ClientID) > maxClientID {
		return apperr.Invalidf("bad_client_id", "client_id may be at most %d bytes", maxClientID)
	}
	if ok, retry, err := c.svc.limiter.Allow(ctx, "lc:send:"+c.ip, c.svc.opts.SendsPerMinutePerIP, time.Minute); err == nil && !ok {
		return &apperr.Error{Kind: apperr.TooMany, Code: "rate_limited", Message: "too many messages from your address; wait a little", RetryAfter: retry}
	}
	m, err := c.svc.sendChatLine(ctx, c, rn.ID, f.Body, f.ClientID)
	if err != nil {
		return err
	}
	c.reply(mustJSON(ackFrame{Type: frameAck, Room: m.Room, ClientID: f.ClientID, Seq: m.Seq}))
	return nil
}

// typing tells the other side of a conversation that someone types; at
// most one event per second per socket.
func (c *Conn) typing(f clientFrame) error {
	rn, ok := ParseRoom(f.Room)
	if !ok || rn.Kind != roomConv || c.rooms[f.Room] == nil {
		return apperr.Invalidf("not_joined", "typing is for a joined conversation")
	}
	if now := time.Now(); now.Sub(c.typed) >= time.Second {
		c.typed = now
		c.svc.hub.Event(f.Room, mustJSON(event{Type: "typing", Room: f.Room, Author: c.convOK[rn.ID]}))
	}
	return nil
}
