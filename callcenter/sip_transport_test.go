package callcenter

import (
	"testing"
	"time"
)

// A transport that stops while the node is not shutting down (here: its
// socket is closed from under it, as a fatal read error does inside sipgo)
// is started again on the same port; serve keeps running.
func TestSIPTransportRestartsAfterSocketLoss(t *testing.T) {
	t.Parallel()
	ts := startTestServer(t, testConfig(t))
	if code := udpOptionsStatus(t, "127.0.0.1", ts.addr, "before"); code != 200 {
		t.Fatalf("OPTIONS: %d", code)
	}
	ts.e.sockets.closeAll()
	if !pollUntil(15*time.Second, func() bool { return udpOptionsStatus(t, "127.0.0.1", ts.addr, "after-udp") == 200 }) {
		t.Fatal("no UDP answer after the socket was lost")
	}
	if !pollUntil(15*time.Second, func() bool { return tcpOptionsFrom("127.0.7.1", ts.addr, "after-tcp", 2*time.Second) == 200 }) {
		t.Fatal("no TCP answer after the listener was lost")
	}
	ts.mustBeServing(t)
}
