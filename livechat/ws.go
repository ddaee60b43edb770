package livechat

import (
	"context"
	"net/http"

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
)

// handleWS serves GET /ws: it upgrades to a WebSocket with the request's
// credentials (session cookie or bearer for staff and citizens with an
// account; the lc_conv cookie or X-Conversation-Token for a conversation)
// and hands the socket to a reader goroutine of its own, so the HTTP
// handler's deep stack is not kept for the socket's lifetime.
//
// Browsers must come from this site (Origin checked by Accept, plus
// OriginPatterns); clients without an Origin header are not browsers and
// carry their credentials explicitly.
func (s *Service) handleWS(w http.ResponseWriter, r *http.Request) {
	user, _ := identity.From(r.Context())
	var tokens []string
	for _, cr := range convCredentials(r) {
		tokens = append(tokens, cr.Token)
	}
	c := newConn(s, user, web.ClientIP(r), tokens)
	ws, err := websocket.Accept(upgradeWriter{w, c}, r, &websocket.AcceptOptions{
		OriginPatterns:  s.opts.OriginPatterns,
		CompressionMode: websocket.CompressionDisabled,
		// A pong (or the client's own ping) shows the peer is there.
		OnPongReceived: func(context.Context, []byte) { c.alive() },
		OnPingReceived: func(context.Context, []byte) bool { c.alive(); return true },
	})
	if err != nil {
		return // Accept has answered (403 for a foreign origin, 426 …)
	}
	ws.SetReadLimit(hardReadLimit)
	c.ws = ws
	if d := s.hub.register(c); d != nil {
		_ = ws.Close(d.Code, d.Reason)
		return
	}
	hello := helloFrame{Type: frameHello}
	if user != nil {
		hello.User, hello.Role = user.Name(), user.Role
	}
	c.enqueue(mustJSON(hello))
	go c.readLoop()
}
