package callcenter

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
)

// sipSockets holds the sockets the transports currently serve on. A lost
// socket is replaced by the supervisor; shutdown closes whatever is current.
type sipSockets struct {
	mu  sync.Mutex
	udp *net.UDPConn
	tcp *net.TCPListener
}

func (s *sipSockets) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.udp.Close()
	s.tcp.Close()
}

// transportMetrics describe the SIP transports under attack or failure.
type transportMetrics struct {
	tcpConns      prometheus.Gauge
	tcpClosed     *prometheus.CounterVec // reason: budget, per_source, message_timeout, idle
	acceptErrors  prometheus.Counter
	restarts      *prometheus.CounterVec // transport
	handlerPanics prometheus.Counter
}

func newTransportMetrics(reg prometheus.Registerer) *transportMetrics {
	m := &transportMetrics{
		tcpConns: prometheus.NewGauge(prometheus.GaugeOpts{Name: "doithoai_hotline_sip_tcp_connections",
			Help: "Open SIP TCP connections accepted by the hotline."}),
		tcpClosed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "doithoai_hotline_sip_tcp_closed_total",
			Help: "SIP TCP connections refused or closed by the hotline: budget, per_source, message_timeout, idle."}, []string{"reason"}),
		acceptErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "doithoai_hotline_sip_accept_errors_total",
			Help: "Failed SIP TCP accepts (EMFILE and the like), retried after a pause."}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "doithoai_hotline_sip_transport_restarts_total",
			Help: "SIP transports that stopped while serving and were started again."}, []string{"transport"}),
		handlerPanics: prometheus.NewCounter(prometheus.CounterOpts{Name: "doithoai_hotline_sip_handler_panics_total",
			Help: "SIP request handlers that panicked (answered 500, logged with the stack)."}),
	}
	if reg != nil {
		reg.MustRegister(m.tcpConns, m.tcpClosed, m.acceptErrors, m.restarts, m.handlerPanics)
	}
	return m
}

// superviseUDP serves SIP over UDP until ctx ends. sipgo's UDP reader
// returns (and closes the socket) on any read error; the socket is then
// opened again on the same address.
func (e *engine) superviseUDP(ctx context.Context) {
	e.supervise(ctx, "udp", func() error {
		e.sockets.mu.Lock()
		conn := e.sockets.udp
		e.sockets.mu.Unlock()
		return e.server.ServeUDP(conn)
	}, func() error {
		conn, err := net.ListenUDP("udp", e.udpAddr)
		if err != nil {
			return err
		}
		return e.replaceSocket(ctx, func() { e.sockets.udp = conn }, conn.Close)
	})
}

// superviseTCP serves SIP over TCP until ctx ends. The listener given to
// sipgo only returns when closed; if that happens while serving, a new one
// is opened on the same address.
func (e *engine) superviseTCP(ctx context.Context) {
	e.supervise(ctx, "tcp", func() error {
		e.sockets.mu.Lock()
		l := &sipListener{TCPListener: e.sockets.tcp, gate: e.tcpGate}
		e.sockets.mu.Unlock()
		return e.server.ServeTCP(l)
	}, func() error {
		l, err := net.ListenTCP("tcp", e.tcpAddr)
		if err != nil {
			return err
		}
		return e.replaceSocket(ctx, func() { e.sockets.tcp = l }, l.Close)
	})
}

// replaceSocket installs a reopened socket unless shutdown began meanwhile.
func (e *engine) replaceSocket(ctx context.Context, install func(), closeNew func() error) error {
	e.sockets.mu.Lock()
	defer e.sockets.mu.Unlock()
	if ctx.Err() != nil {
		closeNew()
		return ctx.Err()
	}
	install()
	return nil
}

// supervise runs serve until ctx ends; when serve returns early, the
// transport is logged, reopened and served again, pausing longer after
// each failure. A transport error never ends the node.
func (e *engine) supervise(ctx context.Context, name string, serve, reopen func() error) {
	var backoff time.Duration
	for {
		started := time.Now()
		err := serve()
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			backoff = 0 // it had been working: not a crash loop
		}
		backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
		e.tm.restarts.WithLabelValues(name).Inc()
		e.log.Error("hotline: SIP transport stopped while serving; restarting", "transport", name, "err", err, "backoff", backoff)
		if !sleepCtx(ctx, backoff) {
			return
		}
		for err := reopen(); err != nil; err = reopen() {
			if ctx.Err() != nil {
				return
			}
			backoff = min(2*backoff, 5*time.Second)
			e.log.Error("hotline: cannot reopen SIP transport", "transport", name, "err", err, "backoff", backoff)
			if !sleepCtx(ctx, backoff) {
				return
			}
		}
	}
}

// sleepCtx waits d; false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// connInUse reports whether a live registration, call or agent leg has its
// signalling on the TCP connection from raddr, which must then not be
// closed for being idle: the node sends requests over it (INVITE to an
// agent, BYE to a caller) that could reach the peer no other way.
func (e *engine) connInUse(raddr string) bool {
	if e.agents.hasDest(raddr) {
		return true
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.calls {
		if c.dlg.InviteRequest.Source() == raddr {
			return true
		}
	}
	for _, l := range e.legs {
		if l.dlg.InviteRequest.Destination() == raddr {
			return true
		}
	}
	return false
}

// hasDest reports whether a live registration sends its calls to dest.
func (p *agentPool) hasDest(dest string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for _, a := range p.agents {
		if a.dest == dest && a.expires.After(now) {
			return true
		}
	}
	return false
}

// watchTCPMessages tells the gate when a whole message arrived over TCP,
// which stops that connection's message clock. The transport layer calls
// its handlers on the connection's reader goroutine, before the next read.
func (e *engine) watchTCPMessages() {
	e.ua.TransportLayer().OnMessage(func(msg sip.Message) {
		if sip.NetworkToLower(msg.Transport()) == "tcp" {
			e.tcpGate.messageDone(msg.Source())
		}
	})
}
