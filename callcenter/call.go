package callcenter

import (
	"context"
	"errors"
	"github.com/doithoai/doithoai/internal/contact"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// call is one caller's session. It is owned by the goroutine running run;
// request handlers touch it only through pushDigit, ackSDP, the dialog and
// the RTP session's atomic fields.
type call struct {
	e      *engine
	dlg    *sipgo.DialogServerSession
	rtp    *rtpSession
	offer  *mediaDesc // nil for a late offer (INVITE without SDP)
	ackSDP chan []byte

	callID     string
	caller     string
	source     netip.Addr // signalling source IP: counted against MaxCallsPerIP
	hotline    string
	localIP    netip.Addr
	sessID     uint64
	sdpVersion atomic.Uint64

	digits chan byte // RFC 4733 (receive goroutine) and INFO (handler) push; IVR reads

	ctx    context.Context // ends when the caller hangs up, RTP dies or the server shuts down
	cancel context.CancelCauseFunc

	// Owned by the call goroutine.
	cdr       CDR
	lang      string
	topic     TopicOption // chosen in the topic menu
	consent   string      // how the caller agreed to recording ("" not yet / no)
	consentAt time.Time
	// notify: the caller pressed 1 for SMS news of their ticket
	// (ivr_notify.go); asked once per call.
	notify, notifyAsked bool
	// caseCode is the ticket the caller heard the status of (ivr_status.go):
	// a message or an operator call after it continues that case.
	caseCode string
	staff    *staffCaller // set for the staff line: record prompts instead of the IVR
	// tracked: the call has a row in hotline_calls_in_progress, so its
	// number survives this node's death (orphan_calls.go).
	tracked bool
}

func newCall(e *engine, req *sip.Request, dlg *sipgo.DialogServerSession, conn *net.UDPConn, offer *mediaDesc) *call {
	codec := PCMU
	dtmf := telephoneEventPT
	if offer != nil {
		codec, dtmf = offer.Codecs[0], offer.DTMFPT
	}
	c := &call{
		e:       e,
		dlg:     dlg,
		offer:   offer,
		ackSDP:  make(chan []byte, 1),
		callID:  req.CallID().Value(),
		caller:  callerNumber(req),
		source:  sourceIP(req),
		hotline: req.Recipient.User,
		localIP: e.advertised(sourceIP(req)),
		sessID:  newSessionID(),
		digits:  make(chan byte, 32),
		lang:    e.cfg.DefaultLanguage,
	}
	c.rtp = newRTPSession(conn, codec, dtmf, c.source, e.rtpTimeouts())
	if offer != nil {
		c.rtp.setRemote(offer.Addr) // a late offer's answer comes with the ACK
	}
	c.rtp.onDigit = c.pushDigit
	c.cdr = CDR{
		CallID:    c.callID,
		Caller:    c.caller,
		Hotline:   c.hotline,
		Transport: sip.NetworkToLower(req.Transport()),
		StartedAt: e.now(),
		Outcome:   OutcomeAbandoned,
	}
	return c
}

// errNoRTP ends a call whose caller never sent a packet after the ACK:
// a real phone sends media at once, a flood of silent calls does not.
var errNoRTP = errors.New("no RTP after answer")

func (e *engine) rtpTimeouts() rtpTimeouts {
	return rtpTimeouts{start: e.cfg.RTPStartTimeout, silence: e.cfg.RTPTimeout}
}

// callerNumber is the caller ID: in E.164 when it reads as a phone number
// (so the caller is the same person as the citizen who typed 0912… on the
// web), else as the From header wrote it.
func callerNumber(req *sip.Request) string {
	if f := req.From(); f != nil {
		if f.Address.User != "" {
			if e164, err := contact.Phone(f.Address.User); err == nil {
				return e164
			}
			return f.Address.User
		}
		return f.Address.Host
	}
	return ""
}

// pushDigit queues a key for the IVR; keys beyond the buffer are dropped
// rather than blocking the RTP receiver or a SIP handler.
func (c *call) pushDigit(d byte) {
	select {
	case c.digits <- d:
	default:
	}
}

func (c *call) flushDigits() {
	for {
		select {
		case <-c.digits:
		default:
			return
		}
	}
}

func (c *call) path(step string) {
	c.cdr.IVRPath = append(c.cdr.IVRPath, step)
	c.e.noteTrackedStep(c, step)
	if c.e.onStep != nil {
		c.e.onStep(c.callID, step)
	}
}

// run answers the call, runs the IVR and hangs up, then writes the CDR.
func (c *call) run() {
	e := c.e
	defer c.rtp.closeSession()
	defer c.finish()

	if !c.answer() {
		c.cdr.HangupCause = "cancel"
		if c.dlg.LoadState() != sip.DialogStateEnded && c.dlg.InviteResponse != nil && c.dlg.InviteResponse.IsSuccess() {
			c.hangup() // answered but never acknowledged (RFC 3261 §13.3.1.4)
			c.cdr.HangupCause = "no_ack"
		}
		return
	}
	now := e.now()
	c.cdr.AnsweredAt = &now
	c.cdr.Outcome = OutcomeAnswered
	c.tracked = e.trackCall(c)
	defer e.untrackCall(c)

	ctx, cancel := context.WithCancelCause(e.callsCtx)
	c.ctx, c.cancel = ctx, cancel
	stop := context.AfterFunc(c.dlg.Context(), func() { cancel(errCallerHangup) })
	defer stop()
	go func() {
		select {
		case <-c.rtp.Dead():
			cancel(c.rtp.deadCause())
		case <-ctx.Done():
		}
	}()
	defer cancel(nil)
	c.rtp.start()

	var err error
	if c.staff != nil {
		err = c.runStaff(ctx)
	} else {
		err = c.runIVR(ctx)
	}
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errCallerHangup):
		c.cdr.HangupCause = "caller"
	case errors.Is(cause, errRTPTimeout):
		c.cdr.HangupCause = "rtp_timeout"
	case errors.Is(cause, errNoRTP):
		c.cdr.HangupCause = "no_rtp"
	case errors.Is(cause, errShutdown):
		c.cdr.HangupCause = "shutdown"
	case err != nil:
		c.cdr.HangupCause = "error"
		e.log.Error("hotline call failed", "call", c.callID, "err", err)
	default:
		c.cdr.HangupCause = "server"
	}
	if c.cdr.Outcome == OutcomeAnswered && c.cdr.HangupCause != "server" {
		c.cdr.Outcome = OutcomeAbandoned // left before reaching an agent or leaving a ticket
	}
	c.hangup()
}

// finish stores the CDR and counts the call. It runs after the caller is
// gone, so it uses its own context.
func (c *call) finish() {
	e := c.e
	c.cdr.EndedAt = e.now()
	c.cdr.Language = c.langIfChosen()
	c.cdr.RTPReceived = c.rtp.stats.rxPackets.Load()
	c.cdr.RTPLost = c.rtp.stats.rxLost.Load()
	c.cdr.RTPSent = c.rtp.stats.txPackets.Load()
	if c.cdr.IVRPath == nil {
		c.cdr.IVRPath = []string{}
	}
	e.metrics.callsTotal.WithLabelValues(c.cdr.Outcome).Inc()
	e.metrics.callDuration.WithLabelValues(c.cdr.Outcome).Observe(c.cdr.EndedAt.Sub(c.cdr.StartedAt).Seconds())
	e.metrics.rtpPackets.WithLabelValues("rx").Add(float64(c.cdr.RTPReceived))
	e.metrics.rtpPackets.WithLabelValues("tx").Add(float64(c.cdr.RTPSent))
	e.metrics.rtpPackets.WithLabelValues("lost").Add(float64(c.cdr.RTPLost))
	e.metrics.rtpPackets.WithLabelValues("foreign").Add(float64(c.rtp.stats.rxForeign.Load()))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.store.SaveCDR(ctx, c.cdr); err != nil {
		e.log.Error("hotline: saving CDR failed", "call", c.callID, "err", err)
	}
}

func (c *call) langIfChosen() string {
	for _, p := range c.cdr.IVRPath {
		if strings.HasPrefix(p, "lang:") {
			return c.lang
		}
	}
	return ""
}

// play sends clips to the caller and waits until they have been played.
// With bargeIn a key press stops the playback and is returned; otherwise
// keys stay queued for the next menu (type-ahead).
func (c *call) play(ctx context.Context, bargeIn bool, clips ...[]int16) (byte, error) {
	p := newPlayout(clips...)
	c.rtp.setSource(p)
	var digits <-chan byte
	if bargeIn {
		digits = c.digits
	}
	select {
	case <-p.done:
		return 0, nil
	case d := <-digits:
		c.rtp.setSource(nil)
		return d, nil
	case <-ctx.Done():
		c.rtp.setSource(nil)
		return 0, ctx.Err()
	}
}

// waitDigit waits up to d for a key; 0 means none came.
func (c *call) waitDigit(ctx context.Context, d time.Duration) (byte, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case k := <-c.digits:
		return k, nil
	case <-t.C:
		return 0, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (c *call) prompt(name string) []int16 { return c.e.prompts.Get(c.lang, name) }

// readNumber spells a number digit by digit ("your ticket number is 2 4 …").
func (c *call) readNumber(n string) [][]int16 {
	var clips [][]int16
	for i := 0; i < len(n); i++ {
		if n[i] >= '0' && n[i] <= '9' {
			clips = append(clips, c.prompt(digitPrompt(n[i])), silence(120))
		}
	}
	return clips
}
