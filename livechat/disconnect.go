package livechat

import (
	"fmt"

	"github.com/coder/websocket"
)

// Disconnect is why the server closes a socket: a WebSocket close code and
// a reason under 123 bytes (the close frame's limit). Codes 4000–4999 are
// ours; a few standard codes are used where their meaning is exact.
type Disconnect struct {
	Code   websocket.StatusCode
	Reason string
	// Reconnect tells clients whether trying again (with since) makes sense.
	Reconnect bool
}

func (d Disconnect) Error() string { return fmt.Sprintf("disconnect %d: %s", d.Code, d.Reason) }

// Close reasons. Clients reconnect after the ones marked so, resuming each
// room with since = the last seq they saw.
var (
	// DisconnectShutdown: the node is stopping (1001 going away).
	DisconnectShutdown = Disconnect{Code: websocket.StatusGoingAway, Reason: "server shutting down", Reconnect: true}
	// DisconnectSlow: the send queue overflowed; resume with since.
	DisconnectSlow = Disconnect{Code: websocket.StatusTryAgainLater, Reason: "too slow: resume with since", Reconnect: true}
	// DisconnectFlood: more frames than the rate limit allows.
	DisconnectFlood = Disconnect{Code: websocket.StatusPolicyViolation, Reason: "message rate limit exceeded", Reconnect: true}
	// DisconnectJoinFlood: joins (or history pages) asked for again and
	// again while refused as rate limited.
	DisconnectJoinFlood = Disconnect{Code: websocket.StatusPolicyViolation, Reason: "join rate limit exceeded", Reconnect: true}
	// DisconnectTooBig: a frame beyond the hard read limit.
	DisconnectTooBig = Disconnect{Code: websocket.StatusMessageTooBig, Reason: "frame too large", Reconnect: true}
	// DisconnectBadFrames: too many malformed frames in a row.
	DisconnectBadFrames = Disconnect{Code: 4000, Reason: "too many malformed frames", Reconnect: false}
	// DisconnectStale: no pong to our ping.
	DisconnectStale = Disconnect{Code: 4001, Reason: "no pong", Reconnect: true}
	// DisconnectTooManyConns: this address holds too many sockets.
	DisconnectTooManyConns = Disconnect{Code: 4029, Reason: "too many connections from this address", Reconnect: false}
)
