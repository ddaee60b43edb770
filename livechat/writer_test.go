package livechat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/internal/broker"
	"github.com/doithoai/doithoai/internal/testenv"
)

func TestAppendFrame(t *testing.T) {
	t.Parallel()
	if got := appendFrame(nil, nil); !bytes.Equal(got, []byte{0x89, 0}) {
		t.Fatalf("ping: % x", got)
	}
	for _, n := range []int{1, 125, 126, 127, 65535, 65536, 70000} {
		payload := bytes.Repeat([]byte{'x'}, n)
		f := appendFrame([]byte("prefix"), payload)[len("prefix"):]
		if f[0] != 0x81 {
			t.Fatalf("%d: first byte % x, want FIN text", n, f[0])
		}
		var length, hdr int
		switch l := int(f[1]); {
		case l < 126:
			length, hdr = l, 2
		case l == 126:
			length, hdr = int(binary.BigEndian.Uint16(f[2:])), 4
		default:
			length, hdr = int(binary.BigEndian.Uint64(f[2:])), 10
		}
		if length != n || len(f) != hdr+n || !bytes.Equal(f[hdr:], payload) {
			t.Fatalf("%d: header says %d, frame is %d bytes with a %d-byte header", n, length, len(f), hdr)
		}
	}
}

// A client may send its first frame in the same packet as the upgrade
// request: it must not be lost when the server swaps net/http's buffers
// for its own.
func TestFrameRightAfterHandshake(t *testing.T) {
	t.Parallel()
	n := MustStartTestNode(t, testenv.NewDB(t), broker.NewMemory(), nil, Options{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(n.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /ws HTTP/1.1\r\nHost: " + strings.TrimPrefix(n.url, "http://") + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	payload := []byte(`{"type":"ping"}`)
	key := [4]byte{1, 2, 3, 4}
	frame := append([]byte{0x81, 0x80 | byte(len(payload))}, key[:]...)
	for i, b := range payload {
		frame = append(frame, b^key[i%4])
	}
	if _, err := conn.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	for _, want := range []string{`"hello"`, `"pong"`} {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			t.Fatalf("waiting for %s: %v", want, err)
		}
		body := make([]byte, h[1]&0x7f)
		if _, err := io.ReadFull(br, body); err != nil {
			t.Fatal(err)
		}
		if h[0] != 0x81 || !bytes.Contains(body, []byte(want)) {
			t.Fatalf("got frame % x %s, want %s", h[0], body, want)
		}
	}
}

// Quiet sockets are pinged; one that answers stays, one that does not is
// closed with 4001.
func TestKeepalive(t *testing.T) {
	t.Parallel()
	n := MustStartTestNode(t, testenv.NewDB(t), broker.NewMemory(), nil, Options{PingInterval: 150 * time.Millisecond, PongTimeout: 300 * time.Millisecond})
	live := MustDial(t, n, nil) // reads all the time, so the library answers pings
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	deaf, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.url, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer deaf.CloseNow()
	time.Sleep(1500 * time.Millisecond) // several ping intervals
	live.send(map[string]any{"type": "ping"})
	live.waitFor("pong", 5*time.Second, func(f frame) bool { return f.Type == "pong" })
	// The deaf one gets its hello, then the close.
	for {
		_, _, err := deaf.Read(ctx)
		if err == nil {
			continue
		}
		if got := websocket.CloseStatus(err); got != DisconnectStale.Code {
			t.Fatalf("deaf socket ended with %v (status %d), want %d", err, got, DisconnectStale.Code)
		}
		break
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("timed out")
	}
}
