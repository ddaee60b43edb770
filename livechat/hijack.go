package livechat

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"syscall"
)

// Buffers of an upgraded socket. net/http hands a hijacker its 4 KB read
// and write buffers, which the WebSocket library would keep for the
// socket's life: 8 KB per idle viewer. Clients send a few small frames
// (past the buffer, a larger one is read straight into the reader's own
// buffer), and the library writes only control frames through its writer,
// since data frames go to the socket directly (writer.go): a control frame
// is at most 2+125 bytes, so with ctlBufSize ≥ 127 each one reaches
// sockWriter whole, in one Write.
const (
	readBufSize = 128
	ctlBufSize  = 128
)

// upgradeWriter is the ResponseWriter given to websocket.Accept: its
// Hijack gives the library small buffers of ours, and c the socket.
type upgradeWriter struct {
	http.ResponseWriter
	c *Conn
}

func (u upgradeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(u.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// Whatever the client sent right after the handshake is in net/http's
	// buffer: it moves into ours before that one is dropped.
	var src io.Reader = nc
	n := brw.Reader.Buffered()
	if n > 0 {
		b, _ := brw.Reader.Peek(n)
		src = io.MultiReader(bytes.NewReader(bytes.Clone(b)), nc)
	}
	br := bufio.NewReaderSize(src, max(readBufSize, n))
	if n > 0 {
		_, _ = br.Peek(n)
	}
	u.c.nc = nc
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			u.c.raw = raw
		}
	}
	return nc, bufio.NewReadWriter(br, bufio.NewWriterSize(sockWriter{u.c}, ctlBufSize)), nil
}
