package callcenter

import (
	"context"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/prometheus/client_golang/prometheus"
)

const (
	fuzzSource   = "127.0.0.7:5070"
	fuzzAgent    = "agent1"
	fuzzPassword = "fuzz-secret"
)

// Any datagram can reach the SIP port. This target takes the path a UDP
// datagram takes: sipgo's parser, the same checks sipgo's transaction layer
// makes before a handler sees a request (a Via and a CSeq), then the handler
// newEngine registers for the method, with a transaction that records what
// the handler answers. The engine is full, so no INVITE can start a call and
// every INVITE runs all of its checks (SDP included) before it is refused.
// With sign set, a REGISTER is sent the way a phone does: once bare, and
// again with the agent's digest answer to the challenge it got.
//
// Whatever the bytes: every request but ACK gets exactly one response,
// a well-formed one a peer can parse, for the same transaction; nothing
// but OPTIONS and a correctly signed REGISTER is ever answered 2xx; and
// no state is left behind except that agent's own registration.
func FuzzSIPRequest(f *testing.F) {
	f.Add([]byte("OPTIONS sip:1022@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.7:5070;branch=z9hG4bK1\r\nFrom: <sip:a@127.0.0.7>;tag=1\r\nTo: <sip:1022@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"), false)
	e := mustFuzzEngine(f)
	parser := sip.NewParser()
	f.Fuzz(func(t *testing.T, data []byte, sign bool) {
		defer e.agents.unregister(fuzzAgent)
		msg, err := parser.ParseSIP(data)
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok || req.Via() == nil || req.CSeq() == nil {
			return // a response, or answered 400 by sipgo before any handler
		}
		req.SetTransport("UDP")
		req.SetSource(fuzzSource)

		res := fuzzDispatch(t, e, req)
		signed := false
		if sign && req.Method == sip.REGISTER && res != nil && res.StatusCode == sip.StatusUnauthorized {
			if sreq := signRegister(req, res); sreq != nil {
				req, signed = sreq, true
				res = fuzzDispatch(t, e, req)
			}
		}
		if res != nil && res.IsSuccess() && req.Method != sip.OPTIONS && !signed {
			t.Fatalf("%s answered %d:\n%s\n-> %s", req.Method, res.StatusCode, req, res)
		}

		e.mu.Lock()
		calls, legs := len(e.calls), len(e.legs)
		e.mu.Unlock()
		if calls != 0 || legs != 0 || e.active.Load() != math.MaxInt32 {
			t.Fatalf("%s left %d calls, %d legs, active %d", req.Method, calls, legs, e.active.Load())
		}
		for _, a := range e.agents.snapshot() {
			if a.Login != fuzzAgent || !signed {
				t.Fatalf("%s registered %q (signed: %v):\n%s", req.Method, a.Login, signed, req)
			}
		}
	})
}

// fuzzDispatch runs the handler newEngine registers for req's method and
// checks what it answered.
func fuzzDispatch(t *testing.T, e *engine, req *sip.Request) *sip.Response {
	t.Helper()
	tx := &recordingTx{done: make(chan struct{})}
	switch req.Method {
	case sip.INVITE:
		e.handleInvite(req, tx)
	case sip.ACK:
		e.handleAck(req, tx)
	case sip.BYE:
		e.handleBye(req, tx)
	case sip.CANCEL:
		e.handleCancel(req, tx)
	case sip.OPTIONS:
		e.handleOptions(req, tx)
	case sip.INFO:
		e.handleInfo(req, tx)
	case sip.REGISTER:
		e.handleRegister(req, tx)
	default:
		e.handleNoRoute(req, tx)
	}
	want := 1
	if req.Method == sip.ACK {
		want = 0
	}
	if len(tx.responses) != want {
		t.Fatalf("%s got %d responses, want %d:\n%s", req.Method, len(tx.responses), want, req)
	}
	if want == 0 {
		return nil
	}
	res := tx.responses[0]
	if res.StatusCode < 200 || res.StatusCode > 699 {
		t.Fatalf("%s answered with status %d", req.Method, res.StatusCode)
	}
	// What goes on the wire must parse, and match the request's
	// transaction, or the caller retransmits forever. A response echoes
	// the request's Via, From, To, Call-ID and CSeq, so it is compared with
	// the request as it reads back after its own trip through sipgo: when
	// sipgo's lenient parser let through headers that do not survive that
	// trip, the response cannot be better than the request was.
	reqMsg, err := sip.NewParser().ParseSIP([]byte(req.String()))
	if err != nil {
		return res
	}
	rb := reqMsg.(*sip.Request)
	if rb.Via() == nil || rb.Via().Host != req.Via().Host || rb.Via().Port != req.Via().Port || viaBranch(rb.Via()) != viaBranch(req.Via()) {
		return res // e.g. a branch=" 0": sipgo reads it back as "\" 0\""
	}
	wire := res.String()
	back, err := sip.NewParser().ParseSIP([]byte(wire))
	if err != nil {
		t.Fatalf("our %d to\n%s\ndoes not parse: %v\n%s", res.StatusCode, req, err, wire)
	}
	br, ok := back.(*sip.Response)
	if !ok || br.StatusCode != res.StatusCode || br.CSeq() == nil || rb.CSeq() == nil || br.CSeq().Value() != rb.CSeq().Value() ||
		br.Via() == nil || rb.Via() == nil || br.Via().Host != rb.Via().Host || br.Via().Port != rb.Via().Port || viaBranch(br.Via()) != viaBranch(rb.Via()) {
		t.Fatalf("our response to\n%s\nreads back as another transaction:\n%s", req, wire)
	}
	if id := rb.CallID(); id != nil && (br.CallID() == nil || br.CallID().Value() != id.Value()) {
		t.Fatalf("our response to\n%s\nhas another Call-ID:\n%s", req, wire)
	}
	return res
}

func viaBranch(v *sip.ViaHeader) string {
	b, _ := v.Params.Get("branch")
	return b
}

// signRegister answers res's digest challenge for req as the test agent,
// or returns nil when there is no challenge to answer.
func signRegister(req *sip.Request, res *sip.Response) *sip.Request {
	h := res.GetHeader("WWW-Authenticate")
	if h == nil {
		return nil
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		return nil
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: req.Recipient.String(),
		Username: fuzzAgent, Password: fuzzPassword, Count: 1, Cnonce: "0a4f113b"})
	if err != nil {
		return nil
	}
	signed := req.Clone()
	signed.RemoveHeader("Authorization")
	signed.AppendHeader(sip.NewHeader("Authorization", cred.String()))
	signed.SetTransport("UDP")
	signed.SetSource(fuzzSource)
	return signed
}

// mustFuzzEngine is an engine with one agent and no listeners, full to
// MaxCalls, with limits no fuzzing run reaches.
func mustFuzzEngine(tb testing.TB) *engine {
	tb.Helper()
	store := NewMemoryStore()
	store.AddAgent(fuzzAgent, fuzzPassword)
	h, _ := ParseHours("always", "", time.UTC)
	cfg := Config{SIPAddr: "127.0.0.1:0", HotlineNumbers: []string{"1022", "1080"}, Hours: h,
		InviteRate: 1e9, InviteBurst: 1e9, RegisterRate: 1e9, RegisterBurst: 1e9, MaxCalls: 50}
	e, err := newEngine(cfg, engineDeps{store: store, dir: store, log: slog.New(slog.NewTextHandler(io.Discard, nil)), reg: prometheus.NewRegistry()})
	if err != nil {
		tb.Fatal(err)
	}
	e.active.Store(math.MaxInt32)
	tb.Cleanup(func() { e.stopAll(context.Canceled); e.ua.Close() })
	return e
}

// recordingTx is a server transaction that keeps the responses given to it.
type recordingTx struct {
	responses []*sip.Response
	done      chan struct{}
}

func (tx *recordingTx) Respond(res *sip.Response) error {
	tx.responses = append(tx.responses, res)
	return nil
}
func (tx *recordingTx) Acks() <-chan *sip.Request          { return nil }
func (tx *recordingTx) OnCancel(sip.FnTxCancel) bool       { return true }
func (tx *recordingTx) Terminate()                         {}
func (tx *recordingTx) OnTerminate(sip.FnTxTerminate) bool { return true }
func (tx *recordingTx) Done() <-chan struct{}              { return tx.done }
func (tx *recordingTx) Err() error                         { return nil }

var _ sip.ServerTransaction = (*recordingTx)(nil)
