package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// generator holds the SIP client and the RTP senders shared by all calls.
type generator struct {
	o      options
	ua     *sipgo.UserAgent
	client *sipgo.Client
	dc     *sipgo.DialogClientCache
	uri    sip.Uri

	shards []*shard
	jitter histogram // |arrival interval − 20 ms| of the server's packets
	setup  []time.Duration
	setupM sync.Mutex

	active, maxActive, established, failed atomic.Int64
	rxPackets, rxLost, rxReordered         atomic.Uint64
}

func newGenerator(o options) (*generator, error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("sipload"), sipgo.WithUserAgentHostname("127.0.0.1"),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)))
	if err != nil {
		return nil, err
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientLogger(log))
	if err != nil {
		return nil, err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		return nil, err
	}
	g := &generator{o: o, ua: ua, client: client}
	g.dc = sipgo.NewDialogClientCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "sipload", Host: "127.0.0.1"}})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := g.dc.ReadBye(req, tx); err != nil {
			tx.Respond(sip.NewResponseFromRequest(req, 481, "No dialog", nil))
		}
	})
	host, port, _ := net.SplitHostPort(o.target)
	p, _ := strconv.Atoi(port)
	g.uri = sip.Uri{Scheme: "sip", User: o.number, Host: host, Port: p}
	for range max(2, runtime.GOMAXPROCS(0)) {
		sh := &shard{calls: map[*loadCall]struct{}{}, quit: make(chan struct{})}
		g.shards = append(g.shards, sh)
		go sh.run()
	}
	return g, nil
}

func (g *generator) close() {
	for _, s := range g.shards {
		s.stop()
	}
	g.ua.Close()
}

// loadCall is one call's media state. seq/ts/digits are owned by its
// shard's sender goroutine.
type loadCall struct {
	conn   *net.UDPConn
	remote netip.AddrPort
	seq    uint16
	ts     uint32
	pos    int
	digits chan byte

	digit     byte
	digitStep int
	digitTS   uint32
}

func (g *generator) dial(ctx context.Context) (*sipgo.DialogClientSession, *loadCall, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, nil, err
	}
	ap := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	sdp := fmt.Sprintf("v=0\r\no=sipload 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n", ap.Port())
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	dlg, err := g.dc.Invite(dctx, g.uri, []byte(sdp), sip.NewHeader("Content-Type", "application/sdp"))
	if err == nil {
		err = dlg.WaitAnswer(dctx, sipgo.AnswerOptions{})
	}
	if err == nil {
		err = dlg.Ack(dctx)
	}
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	g.setupM.Lock()
	g.setup = append(g.setup, time.Since(start))
	g.setupM.Unlock()
	remote, err := remoteOf(dlg.InviteResponse.Body())
	if err != nil {
		conn.Close()
		return dlg, nil, err
	}
	return dlg, &loadCall{conn: conn, remote: remote, seq: 1, ts: 160, digits: make(chan byte, 8)}, nil
}

func remoteOf(sdp []byte) (netip.AddrPort, error) {
	var ip netip.Addr
	var port int
	for _, line := range splitLines(string(sdp)) {
		var a, b, c string
		if n, _ := fmt.Sscanf(line, "c=%s %s %s", &a, &b, &c); n == 3 {
			ip, _ = netip.ParseAddr(c)
		}
		if n, _ := fmt.Sscanf(line, "m=audio %d", &port); n == 1 {
			continue
		}
	}
	if !ip.IsValid() || port == 0 {
		return netip.AddrPort{}, errors.New("no media address in the answer")
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			line := s[start:i]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			out = append(out, line)
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func (g *generator) bye(dlg *sipgo.DialogClientSession) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	dlg.Bye(ctx)
}
