package callcenter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
)

// engine is the SIP side of the hotline: listeners, request handlers and
// the table of live dialogs. Center wraps it with HTTP and the database.
type engine struct {
	cfg     Config
	hours   *liveHours // cfg.Hours, or what an admin saved since
	log     *slog.Logger
	store   callStore
	dir     AgentDirectory
	prompts *Prompts
	metrics *metrics
	now     func() time.Time

	ua       *sipgo.UserAgent
	server   *sipgo.Server
	client   *sipgo.Client
	dialogUA *sipgo.DialogUA

	ports         rtpPorts
	inviteLimit   *rateLimiter
	registerLimit *rateLimiter
	authFailLimit *rateLimiter
	nonces        nonces
	agents        *agentPool

	// Set by listen before any request is served; read-only afterwards.
	udpAddr  *net.UDPAddr // bound addresses (the real port), for reopening
	tcpAddr  *net.TCPAddr
	sipPort  int
	listenIP netip.Addr

	sockets sipSockets        // current listeners; replaced if one is lost
	tcpGate *tcpGate          // SIP TCP connection budget and deadlines
	tm      *transportMetrics // transport series (sip_transport.go)

	// Dialog tables, keyed by sipgo dialog ID. A call goroutine adds its own
	// entries and removes them when it ends; request handlers only look up.
	mu    sync.Mutex
	calls map[string]*call     // UAS dialogs with callers
	legs  map[string]*agentLeg // UAC dialogs with agents
	live  map[string]LiveCall  // calls bridged to an operator, by Call-ID (the desk shows them)

	// onStep, if set before serving, sees every IVR step (tests wait on it).
	onStep func(callID, step string)
	// onRecording, if set before serving, is given every voicemail and
	// operator call recording as it starts (tests wait on its length
	// instead of sleeping).
	onRecording func(*recording)
	// beforeHandler, if set, runs inside every guarded handler (tests
	// inject faults there).
	beforeHandler atomic.Pointer[func(*sip.Request)]

	active   atomic.Int64 // calls counted against MaxCalls
	closing  atomic.Bool  // shutting down: refuse new calls
	callsCtx context.Context
	stopAll  context.CancelCauseFunc
	callsWG  sync.WaitGroup // one per call goroutine
}

var (
	errShutdown     = errors.New("server shutting down")
	errCallerHangup = errors.New("caller hung up")
	errRTPTimeout   = errors.New("RTP timeout")
)

type engineDeps struct {
	store   callStore
	dir     AgentDirectory
	log     *slog.Logger
	reg     prometheus.Registerer
	prompts *Prompts
	src     promptStore // prompts saved in the database; nil: embedded and dir only
	now     func() time.Time
	// registry shares registrations and bridged calls with the other
	// nodes (queue_shared.go); nil: this node's memory only.
	registry agentRegistry
	node     string // this node's name in the registry; empty: generated
}

func newEngine(cfg Config, d engineDeps) (*engine, error) {
	cfg = cfg.withDefaults()
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.now == nil {
		d.now = time.Now
	}
	e := &engine{
		cfg:           cfg,
		hours:         newLiveHours(cfg.Hours),
		log:           d.log,
		store:         d.store,
		dir:           d.dir,
		prompts:       d.prompts,
		metrics:       newMetrics(d.reg),
		now:           d.now,
		inviteLimit:   newRateLimiter(cfg.InviteRate, cfg.InviteBurst),
		registerLimit: newRateLimiter(cfg.RegisterRate, cfg.RegisterBurst),
		authFailLimit: newRateLimiter(1.0/12, 5), // 5 wrong passwords, then one per 12 s
		nonces:        nonces{secret: cfg.NonceSecret},
		calls:         map[string]*call{},
		legs:          map[string]*agentLeg{},
		live:          map[string]LiveCall{},
	}
	e.agents = newAgentPool(e.now, e.metrics.agents)
	if d.registry != nil {
		e.agents.shared = sharedPool{reg: d.registry, node: nodeName(d.node), lease: cfg.AgentLease, log: d.log, kick: make(chan struct{}, 1)}
		if ns, ok := d.registry.(nonceStore); ok {
			e.nonces.shared = ns // digest_shared.go
		}
	}
	e.tm = newTransportMetrics(d.reg)
	e.tcpGate = newTCPGate(cfg, e.connInUse, d.log, e.tm)
	if e.prompts == nil {
		p, err := LoadPrompts(cfg.PromptsDir, cfg.DefaultLanguage, d.log, d.src)
		if err != nil {
			return nil, err
		}
		e.prompts = p
	}
	sipLog := d.log.With("component", "sip")
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("doithoai"),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(sipLog)),
	)
	if err != nil {
		return nil, err
	}
	e.ua = ua
	if e.server, err = sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog)); err != nil {
		return nil, err
	}
	if e.client, err = sipgo.NewClient(ua, sipgo.WithClientLogger(sipLog)); err != nil {
		return nil, err
	}
	e.server.OnInvite(e.guard(e.handleInvite))
	e.server.OnAck(e.guard(e.handleAck))
	e.server.OnBye(e.guard(e.handleBye))
	e.server.OnCancel(e.guard(e.handleCancel))
	e.server.OnOptions(e.guard(e.handleOptions))
	e.server.OnInfo(e.guard(e.handleInfo))
	e.server.OnRegister(e.guard(e.handleRegister))
	e.server.OnNoRoute(e.guard(e.handleNoRoute))
	e.watchTCPMessages()
	e.callsCtx, e.stopAll = context.WithCancelCause(context.Background())
	return e, nil
}

// listen opens the UDP and TCP listeners on cfg.SIPAddr (same port for
// both; with port 0 TCP takes the port UDP got, and another port is tried
// if something else holds that one on TCP).
func (e *engine) listen() error {
	uaddr, err := net.ResolveUDPAddr("udp", e.cfg.SIPAddr)
	if err != nil {
		return fmt.Errorf("SIP_ADDR: %w", err)
	}
	var udp *net.UDPConn
	var tcp *net.TCPListener
	for attempt := 0; ; attempt++ {
		if udp, err = net.ListenUDP("udp", uaddr); err != nil {
			return fmt.Errorf("listen SIP UDP: %w", err)
		}
		port := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err = net.ListenTCP("tcp", &net.TCPAddr{IP: uaddr.IP, Port: port, Zone: uaddr.Zone})
		if err == nil {
			break
		}
		udp.Close()
		if uaddr.Port != 0 || attempt == 4 {
			return fmt.Errorf("listen SIP TCP: %w", err)
		}
	}
	e.sockets.udp, e.sockets.tcp = udp, tcp
	e.udpAddr = udp.LocalAddr().(*net.UDPAddr)
	e.tcpAddr = tcp.Addr().(*net.TCPAddr)
	e.sipPort = e.udpAddr.Port
	if ip, ok := netip.AddrFromSlice(uaddr.IP); ok {
		e.listenIP = ip.Unmap()
	}
	e.ports = rtpPorts{min: e.cfg.RTPPortMin, max: e.cfg.RTPPortMax}
	if e.listenIP.IsValid() && !e.listenIP.IsUnspecified() {
		e.ports.ip = e.listenIP
	}
	e.dialogUA = &sipgo.DialogUA{
		Client:         e.client,
		ContactHDR:     sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "hotline", Host: e.advertised(netip.Addr{}).String(), Port: e.sipPort}},
		RewriteContact: true, // answer to where requests come from: callers behind NAT
	}
	return nil
}

// serve runs the SIP transports until ctx is cancelled, then hangs up every
// call (BYE, recordings finished) before closing them. A transport that
// fails meanwhile is restarted (superviseUDP, superviseTCP): nothing but
// ctx ends serve, so the hotline never takes the node down with it.
func (e *engine) serve(ctx context.Context) error {
	go e.superviseUDP(ctx)
	go e.superviseTCP(ctx)
	go e.housekeeping(ctx)
	if e.agents.shared.reg != nil {
		go e.agents.runShared(ctx)
		go e.watchOrphans(ctx) // orphan_calls.go
	}
	e.log.Info("hotline listening", "addr", e.udpAddr.String(), "numbers", e.cfg.HotlineNumbers,
		"tcp_max_conns", e.cfg.SIPTCPMaxConns, "tcp_max_per_ip", e.cfg.SIPTCPMaxPerIP)
	<-ctx.Done()
	e.shutdown()
	return nil
}

// shutdown refuses new calls, ends the live ones and waits for them (up to
// ShutdownGrace) so recordings are complete and BYEs are sent while the
// transports are still open.
func (e *engine) shutdown() {
	e.closing.Store(true)
	e.stopAll(errShutdown)
	done := make(chan struct{})
	go func() { e.callsWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(e.cfg.ShutdownGrace):
		e.log.Warn("hotline shutdown: calls still running after grace period")
	}
	e.sockets.closeAll()
	e.ua.Close()
}

// housekeeping retries queued calls whose agent back-off has ended and
// expires registrations.
func (e *engine) housekeeping(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.agents.tick()
		}
	}
}

// advertised is the address we put in SDP and Contact for a peer at remote:
// SIP_PUBLIC_IP if set, the listen address if specific, else the local
// address the kernel would use to reach the peer.
func (e *engine) advertised(remote netip.Addr) netip.Addr {
	if e.cfg.PublicIP.IsValid() {
		return e.cfg.PublicIP
	}
	if e.listenIP.IsValid() && !e.listenIP.IsUnspecified() {
		return e.listenIP
	}
	if remote.IsValid() && !remote.IsUnspecified() {
		if c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(remote, 9))); err == nil {
			defer c.Close()
			if ip, ok := netip.AddrFromSlice(c.LocalAddr().(*net.UDPAddr).IP); ok {
				return ip.Unmap()
			}
		}
	}
	return netip.MustParseAddr("127.0.0.1")
}

func sourceIP(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func (e *engine) contactFor(req *sip.Request) *sip.ContactHeader {
	uri := sip.Uri{Scheme: "sip", User: "hotline", Host: e.advertised(sourceIP(req)).String(), Port: e.sipPort}
	if tp := sip.NetworkToLower(req.Transport()); tp != "udp" {
		uri.UriParams = sip.HeaderParams{{K: "transport", V: tp}}
	}
	return &sip.ContactHeader{Address: uri}
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, headers ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range headers {
		res.AppendHeader(h)
	}
	tx.Respond(res)
}

const allowMethods = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REGISTER"

func (e *engine) handleOptions(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, 200, "OK",
		sip.NewHeader("Allow", allowMethods),
		sip.NewHeader("Accept", "application/sdp, application/dtmf-relay, application/dtmf"))
}

func (e *engine) handleNoRoute(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, 405, "Method Not Allowed", sip.NewHeader("Allow", allowMethods))
}

// handleCancel sees only CANCELs that matched no pending INVITE (sipgo
// answers the others and ends the INVITE with 487).
func (e *engine) handleCancel(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}

func (e *engine) findCall(req *sip.Request) *call {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[id]
}

func (e *engine) findLeg(req *sip.Request) *agentLeg {
	id, err := sip.DialogIDFromRequestUAC(req)
	if err != nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.legs[id]
}

func (e *engine) handleAck(req *sip.Request, tx sip.ServerTransaction) {
	c := e.findCall(req)
	if c == nil {
		return // ACK has no response; a stray one is simply dropped
	}
	if len(req.Body()) > 0 {
		select {
		case c.ackSDP <- slices.Clone(req.Body()):
		default:
		}
	}
	c.dlg.ReadAck(req, tx)
}

func (e *engine) handleBye(req *sip.Request, tx sip.ServerTransaction) {
	if c := e.findCall(req); c != nil {
		if err := c.dlg.ReadBye(req, tx); err != nil {
			respond(tx, req, 500, "Server Internal Error")
		}
		return
	}
	if l := e.findLeg(req); l != nil {
		if err := l.dlg.ReadBye(req, tx); err != nil {
			respond(tx, req, 500, "Server Internal Error")
		}
		return
	}
	respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}

// handleInfo takes DTMF sent as SIP INFO (application/dtmf-relay or
// application/dtmf) within a call.
func (e *engine) handleInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := e.findCall(req)
	if c == nil {
		if e.findLeg(req) != nil {
			respond(tx, req, 200, "OK") // agents' keys are not used
			return
		}
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	d, ok := parseINFODigit(ct, req.Body())
	if !ok {
		respond(tx, req, sip.StatusUnsupportedMediaType, "Unsupported Media Type",
			sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf"))
		return
	}
	c.pushDigit(d)
	respond(tx, req, 200, "OK")
}

func retryAfter(seconds int) sip.Header { return sip.NewHeader("Retry-After", strconv.Itoa(seconds)) }
