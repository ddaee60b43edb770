// Command sipload is the hotline's load generator: many SIP calls with real
// RTP on loopback, measuring concurrent calls held with playback and
// recording, the jitter of the server's 20 ms RTP clock as received, lost
// packets, and call set-ups per second.
//
//	go run ./cmd/sipload -embedded -mode hold -calls 250 -rate 25 -hold 60s
//	go run ./cmd/sipload -embedded -mode setup -calls 2000 -concurrency 64
//	go run ./cmd/sipload -serve -target 127.0.0.1:5070        # server only (another process)
//	go run ./cmd/sipload -target 127.0.0.1:5070 -mode hold …  # load only
//
// It only ever sends to loopback addresses, and every run is bounded by
// -calls (at most 2000) and -timeout (at most 15 minutes).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/doithoai/doithoai/cmd/internal/percentile"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
)

type options struct {
	target      string
	number      string
	mode        string
	calls       int
	rate        float64
	hold        time.Duration
	concurrency int
	timeout     time.Duration
	serve       bool
	embedded    bool
	dataDir     string
	agents      string
}

func main() {
	var o options
	flag.StringVar(&o.target, "target", "127.0.0.1:5070", "hotline SIP address (loopback only)")
	flag.StringVar(&o.number, "number", "1022", "hotline number to dial")
	flag.StringVar(&o.mode, "mode", "hold", "hold: calls held with playback and recording; setup: set-ups per second")
	flag.IntVar(&o.calls, "calls", 250, "number of calls (max 2000)")
	flag.Float64Var(&o.rate, "rate", 25, "new calls per second (hold mode)")
	flag.DurationVar(&o.hold, "hold", 60*time.Second, "how long each call is held (hold mode)")
	flag.IntVar(&o.concurrency, "concurrency", 64, "calls being set up at once (setup mode)")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "stop everything after this (max 15m)")
	flag.BoolVar(&o.serve, "serve", false, "run only a stand-alone hotline server (memory store) at -target")
	flag.BoolVar(&o.embedded, "embedded", false, "start a stand-alone hotline server in this process on a free port")
	flag.StringVar(&o.dataDir, "data", "", "recordings directory for -serve/-embedded (default: a temp dir)")
	flag.StringVar(&o.agents, "agents", "", "SIP agents for -serve, login:password,… (e.g. to try baresip)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "sipload:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.calls < 1 || o.calls > 2000 || o.timeout <= 0 || o.timeout > 15*time.Minute {
		return errors.New("-calls must be 1-2000 and -timeout at most 15m")
	}
	host, _, err := net.SplitHostPort(o.target)
	if err != nil {
		return err
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		return fmt.Errorf("target %s is not a loopback address; sipload only loads this machine", o.target)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	if o.serve || o.embedded {
		srv, err := startServer(o)
		if err != nil {
			return err
		}
		if o.serve {
			fmt.Printf("hotline serving on %s (UDP and TCP); Ctrl-C to stop\n", srv.Addr())
			err := srv.Serve(ctx)
			printServerStats(srv)
			return err
		}
		o.target = srv.Addr()
		sctx, scancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Serve(sctx) }()
		defer func() { scancel(); <-done; printServerStats(srv) }()
	}
	g, err := newGenerator(o)
	if err != nil {
		return err
	}
	defer g.close()
	fmt.Printf("sipload: %s mode, %d calls to %s@%s, GOMAXPROCS=%d, %d CPUs\n", o.mode, o.calls, o.number, o.target, runtime.GOMAXPROCS(0), runtime.NumCPU())
	if o.mode == "setup" {
		return g.runSetup(ctx)
	}
	return g.runHold(ctx)
}

func startServer(o options) (*callcenter.Standalone, error) {
	cfg := callcenter.DefaultConfig()
	cfg.SIPAddr = o.target
	if o.embedded {
		cfg.SIPAddr = "127.0.0.1:0"
	}
	cfg.HotlineNumbers = []string{o.number}
	cfg.DataDir = o.dataDir
	if cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "sipload-")
		if err != nil {
			return nil, err
		}
		cfg.DataDir = dir
	}
	cfg.MaxCalls = 2100
	// Every call comes from 127.0.0.1: no per-source rate limit or call cap.
	cfg.InviteRate, cfg.InviteBurst = 5000, 5000
	cfg.TrustedSources = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	cfg.VoicemailMax = 15 * time.Minute
	cfg.RTPPortMin, cfg.RTPPortMax = 20000, 29998
	cfg.Hours, _ = callcenter.ParseHours("always", "", time.UTC)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("SIPLOAD_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	sip.SetDefaultLogger(log)
	store := callcenter.NewMemoryStore()
	for _, a := range strings.Split(o.agents, ",") {
		if login, pw, ok := strings.Cut(a, ":"); ok {
			store.AddAgent(login, pw)
		}
	}
	srv, err := callcenter.NewStandalone(cfg, store, log, nil)
	if err != nil {
		return nil, err
	}
	if _, err := srv.Listen(); err != nil {
		return nil, err
	}
	return srv, nil
}

func printServerStats(srv *callcenter.Standalone) {
	tickets, cdrs := srv.Store.Snapshot()
	var rx, lost, tx uint64
	outcomes := map[string]int{}
	for _, c := range cdrs {
		rx += c.RTPReceived
		lost += c.RTPLost
		tx += c.RTPSent
		outcomes[c.Outcome]++
	}
	fmt.Printf("server: %d CDRs %v, %d tickets; RTP received %d, lost %d (%.4f%%), sent %d\n",
		len(cdrs), outcomes, len(tickets), rx, lost, 100*float64(lost)/math.Max(1, float64(rx+lost)), tx)
}

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

// runHold keeps calls up for -hold each, with DTMF that walks the IVR into
// voicemail so the server plays prompts and then records.
func (g *generator) runHold(ctx context.Context) error {
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / g.o.rate)
	start := time.Now()
	go g.progress(ctx, start)
	for i := 0; i < g.o.calls && ctx.Err() == nil; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			dlg, lc, err := g.dial(ctx)
			if err != nil {
				g.failed.Add(1)
				if dlg != nil {
					g.bye(dlg)
				}
				return
			}
			g.established.Add(1)
			n := g.active.Add(1)
			for {
				m := g.maxActive.Load()
				if n <= m || g.maxActive.CompareAndSwap(m, n) {
					break
				}
			}
			defer g.active.Add(-1)
			sh := g.shards[i%len(g.shards)]
			sh.add(lc)
			recvDone := make(chan struct{})
			go func() { g.receive(lc); close(recvDone) }()
			// 1: Vietnamese, 3: topic "other" (no agents: voicemail),
			// then a key every 2 s, which is the consent when it is asked.
			timer := time.NewTimer(g.o.hold)
			keys := time.NewTicker(2 * time.Second)
			lc.digits <- '1'
			time.AfterFunc(400*time.Millisecond, func() { lc.digits <- '3' })
		loop:
			for {
				select {
				case <-keys.C:
					select {
					case lc.digits <- '1':
					default:
					}
				case <-timer.C:
					break loop
				case <-dlg.Context().Done():
					break loop
				case <-ctx.Done():
					break loop
				}
			}
			keys.Stop()
			sh.remove(lc)
			g.bye(dlg)
			lc.conn.Close()
			<-recvDone
		}(i)
		time.Sleep(interval)
	}
	wg.Wait()
	g.report(time.Since(start))
	return nil
}

func (g *generator) progress(ctx context.Context, start time.Time) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p50, p99, max := g.jitter.percentiles()
			fmt.Printf("  t=%3.0fs active=%d established=%d failed=%d rx=%d lost=%d jitter p50=%.2fms p99=%.2fms max=%.2fms\n",
				time.Since(start).Seconds(), g.active.Load(), g.established.Load(), g.failed.Load(),
				g.rxPackets.Load(), g.rxLost.Load(), p50, p99, max)
			if g.established.Load()+g.failed.Load() >= int64(g.o.calls) && g.active.Load() == 0 {
				return
			}
		}
	}
}

// receive measures the server's stream: arrival interval deviation from
// 20 ms and sequence gaps.
func (g *generator) receive(lc *loadCall) {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	var last time.Time
	var lastSeq uint16
	first := true
	for {
		n, err := lc.conn.Read(buf)
		if err != nil {
			return
		}
		now := time.Now()
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		g.rxPackets.Add(1)
		if !first {
			switch gap := pkt.SequenceNumber - lastSeq; {
			case gap == 1:
				g.jitter.add(now.Sub(last) - 20*time.Millisecond)
			case gap > 1 && gap < 0x8000:
				g.rxLost.Add(uint64(gap - 1))
			default:
				g.rxReordered.Add(1)
				continue
			}
		}
		first, last, lastSeq = false, now, pkt.SequenceNumber
	}
}

// runSetup measures call set-ups per second: INVITE, 200, ACK, BYE, with
// -concurrency calls in flight.
func (g *generator) runSetup(ctx context.Context) error {
	sem := make(chan struct{}, g.o.concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < g.o.calls && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			dlg, lc, err := g.dial(ctx)
			if err != nil {
				g.failed.Add(1)
				if dlg != nil {
					g.bye(dlg)
				}
				return
			}
			g.established.Add(1)
			g.bye(dlg)
			lc.conn.Close()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	g.setupM.Lock()
	lat := slices.Clone(g.setup)
	g.setupM.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Printf("RESULT setup: %d calls set up and torn down in %.2fs = %.1f set-ups/s (concurrency %d); failed %d; INVITE→200 p50 %v p99 %v\n",
		g.established.Load(), el.Seconds(), float64(g.established.Load())/el.Seconds(), g.o.concurrency, g.failed.Load(),
		percentile.Sorted(lat, 50).Round(100*time.Microsecond), percentile.Sorted(lat, 99).Round(100*time.Microsecond))
	return nil
}

func (g *generator) report(el time.Duration) {
	p50, p99, max := g.jitter.percentiles()
	fmt.Printf("RESULT hold: %d calls established (%d failed), max %d concurrent, held %v each, run %.0fs\n",
		g.established.Load(), g.failed.Load(), g.maxActive.Load(), g.o.hold, el.Seconds())
	fmt.Printf("RESULT server RTP as received: %d packets, lost %d, reordered %d; send-interval jitter p50 %.2fms p99 %.2fms max %.2fms\n",
		g.rxPackets.Load(), g.rxLost.Load(), g.rxReordered.Load(), p50, p99, max)
}

// shard sends RTP for its calls every 20 ms on an absolute clock.
type shard struct {
	mu    sync.Mutex
	calls map[*loadCall]struct{}
	quit  chan struct{}
	once  sync.Once
}

func (s *shard) add(c *loadCall) {
	s.mu.Lock()
	s.calls[c] = struct{}{}
	s.mu.Unlock()
}

func (s *shard) remove(c *loadCall) {
	s.mu.Lock()
	delete(s.calls, c)
	s.mu.Unlock()
}

func (s *shard) stop() { s.once.Do(func() { close(s.quit) }) }

// toneFrames is one second of a 440 Hz tone in PCMU, 50 frames: the caller's "voice".
var toneFrames = func() [][]byte {
	out := make([][]byte, 50)
	for f := range out {
		pcm := make([]int16, 160)
		for i := range pcm {
			n := f*160 + i
			pcm[i] = int16(3000 * math.Sin(2*math.Pi*440*float64(n)/8000))
		}
		out[f] = callcenter.PCMU.Encode(nil, pcm)
	}
	return out
}()

func (s *shard) run() {
	quit := s.quit
	buf := make([]byte, 1500)
	next := time.Now()
	timer := time.NewTimer(0)
	var batch []*loadCall
	for {
		select {
		case <-quit:
			return
		case <-timer.C:
		}
		s.mu.Lock()
		batch = batch[:0]
		for c := range s.calls {
			batch = append(batch, c)
		}
		s.mu.Unlock()
		for _, c := range batch {
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: c.seq, Timestamp: c.ts, SSRC: 42}}
			if c.digit == 0 {
				select {
				case c.digit = <-c.digits:
					c.digitStep, c.digitTS = 0, c.ts
				default:
				}
			}
			if c.digit != 0 {
				pkt.PayloadType = 101
				pkt.Timestamp = c.digitTS
				pkt.Marker = c.digitStep == 0
				pkt.Payload = callcenter.EncodeTelephoneEvent(c.digit, c.digitStep >= 3, uint16(160*min(c.digitStep+1, 3)))
				if c.digitStep++; c.digitStep == 6 {
					c.digit = 0
				}
			} else {
				pkt.Payload = toneFrames[c.pos%len(toneFrames)]
				c.pos++
			}
			if n, err := pkt.MarshalTo(buf); err == nil {
				c.conn.WriteToUDPAddrPort(buf[:n], c.remote)
			}
			c.seq++
			c.ts += 160
		}
		next = next.Add(20 * time.Millisecond)
		d := time.Until(next)
		if d < -100*time.Millisecond {
			next = time.Now()
			d = 0
		}
		timer.Reset(max(d, 0))
	}
}

// histogram of absolute deviations in 50 µs buckets up to 200 ms.
type histogram struct {
	buckets [4001]atomic.Uint64
	max     atomic.Int64
}

func (h *histogram) add(d time.Duration) {
	if d < 0 {
		d = -d
	}
	i := min(int(d/(50*time.Microsecond)), len(h.buckets)-1)
	h.buckets[i].Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

func (h *histogram) percentiles() (p50, p99, maxMS float64) {
	var total uint64
	for i := range h.buckets {
		total += h.buckets[i].Load()
	}
	if total == 0 {
		return 0, 0, 0
	}
	var cum uint64
	p50, p99 = -1, -1
	for i := range h.buckets {
		cum += h.buckets[i].Load()
		ms := float64(i+1) * 0.05
		if p50 < 0 && float64(cum) >= 0.5*float64(total) {
			p50 = ms
		}
		if p99 < 0 && float64(cum) >= 0.99*float64(total) {
			p99 = ms
			break
		}
	}
	return p50, p99, float64(h.max.Load()) / 1e6
}
