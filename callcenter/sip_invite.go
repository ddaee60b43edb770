package callcenter

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// handleInvite answers a new call, or a re-INVITE within one. For a new
// call this goroutine becomes the call's owner and returns only when the
// call is over.
func (e *engine) handleInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		e.handleReInvite(req, tx)
		return
	}
	src := sourceIP(req)
	reject := func(reason string, code int, phrase string, hdr ...sip.Header) {
		e.metrics.rejected.WithLabelValues(reason).Inc()
		respond(tx, req, code, phrase, hdr...)
	}
	if !e.inviteLimit.allow(src.String(), e.now()) {
		reject("rate_limited", sip.StatusServiceUnavailable, "Service Unavailable", retryAfter(10))
		return
	}
	if e.closing.Load() {
		reject("shutting_down", sip.StatusServiceUnavailable, "Service Unavailable", retryAfter(30))
		return
	}
	if code, phrase := validateInvite(req); code != 0 {
		reject("malformed", code, phrase)
		return
	}
	var staff *staffCaller
	if slices.Contains(e.cfg.StaffNumbers, req.Recipient.User) {
		var code int
		var phrase string
		var hdr []sip.Header
		if staff, code, phrase, hdr = e.admitStaff(req, src); staff == nil {
			reject("staff_auth", code, phrase, hdr...)
			return
		}
	} else if !slices.Contains(e.cfg.HotlineNumbers, req.Recipient.User) {
		reject("not_found", sip.StatusNotFound, "Not Found")
		return
	}
	var offer *mediaDesc
	if len(req.Body()) > 0 {
		md, err := parseSDP(req.Body())
		if err != nil {
			reject("no_codec", sip.StatusNotAcceptableHere, "Not Acceptable Here",
				sip.NewHeader("Warning", `304 doithoai "`+strings.ReplaceAll(err.Error(), `"`, "'")+`"`))
			return
		}
		offer = &md
	}
	if e.active.Add(1) > int64(e.cfg.MaxCalls) {
		e.active.Add(-1)
		reject("busy", sip.StatusBusyHere, "Busy Here")
		return
	}
	defer e.active.Add(-1)

	conn, err := e.ports.listen()
	if err != nil {
		e.log.Error("hotline: no RTP port", "err", err)
		reject("no_rtp_port", sip.StatusServiceUnavailable, "Service Unavailable", retryAfter(5))
		return
	}
	dlg, err := e.dialogUA.ReadInvite(req, tx)
	if err != nil {
		conn.Close()
		reject("malformed", 400, "Bad Request")
		return
	}
	c := newCall(e, req, dlg, conn, offer)
	c.staff = staff
	if !e.admit(c) {
		c.rtp.closeSession()
		e.metrics.rejected.WithLabelValues("per_source").Inc()
		dlg.Respond(sip.StatusBusyHere, "Busy Here", nil, retryAfter(30))
		return
	}
	e.callsWG.Add(1)
	defer e.callsWG.Done()
	e.metrics.callsActive.Inc()
	defer e.metrics.callsActive.Dec()
	defer func() {
		e.mu.Lock()
		delete(e.calls, dlg.ID)
		e.mu.Unlock()
	}()
	c.run()
}

// admit enters c in the call table unless its source already holds
// MaxCallsPerIP calls (trusted trunks and edge proxies carry many callers
// and are exempt). Counting under the lock that adds the entry keeps
// simultaneous INVITEs from one source from slipping past together.
func (e *engine) admit(c *call) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.cfg.trustedSource(c.source) {
		n := 0
		for _, other := range e.calls {
			if other.source == c.source {
				n++
			}
		}
		if n >= e.cfg.MaxCallsPerIP {
			return false
		}
	}
	e.calls[c.dlg.ID] = c
	return true
}

// validateInvite rejects INVITEs that are well-formed enough to parse but
// not to answer.
func validateInvite(req *sip.Request) (int, string) {
	switch {
	case req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil:
		return 400, "Bad Request"
	case req.Contact() == nil:
		return 400, "Bad Request (Missing Contact)"
	case req.Recipient.Scheme != "sip" && req.Recipient.Scheme != "sips" && req.Recipient.Scheme != "tel":
		return 416, "Unsupported URI Scheme"
	}
	if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 {
		return sip.StatusTooManyHops, "Too Many Hops"
	}
	if h := req.GetHeader("Require"); h != nil && strings.TrimSpace(h.Value()) != "" {
		return sip.StatusBadExtension, "Bad Extension"
	}
	if len(req.Body()) > 0 {
		ct := ""
		if h := req.ContentType(); h != nil {
			ct = strings.ToLower(strings.TrimSpace(strings.Split(h.Value(), ";")[0]))
		}
		if ct != "application/sdp" {
			return sip.StatusUnsupportedMediaType, "Unsupported Media Type"
		}
	}
	return 0, ""
}

// handleReInvite accepts a session refresh or hold/resume from the caller:
// the media address may change, our side stays as it is.
func (e *engine) handleReInvite(req *sip.Request, tx sip.ServerTransaction) {
	c := e.findCall(req)
	if c == nil {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	if err := c.dlg.ReadRequest(req, tx); err != nil {
		respond(tx, req, 500, "Server Internal Error", retryAfter(1))
		return
	}
	if len(req.Body()) > 0 {
		md, err := parseSDP(req.Body())
		if err != nil || !slices.Contains(md.Codecs, c.rtp.codec) {
			respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
			return
		}
		if md.Addr.Addr().IsUnspecified() || md.Inactive {
			c.rtp.muted.Store(true) // RFC 3264 hold: stop sending until resumed
		} else {
			c.rtp.muted.Store(false)
			c.rtp.setRemote(md.Addr)
		}
	}
	res := sip.NewSDPResponseFromRequest(req, c.localSDP(true))
	res.AppendHeader(e.contactFor(req))
	tx.Respond(res)
}

// answer sends 180 (if RingTime) and 200 with our SDP, and waits for the
// ACK. It reports false if the caller cancelled or never acknowledged.
func (c *call) answer() bool {
	e := c.e
	if e.cfg.RingTime > 0 {
		c.dlg.Respond(180, "Ringing", nil)
		select {
		case <-time.After(e.cfg.RingTime):
		case <-c.dlg.Context().Done():
			return false
		case <-e.callsCtx.Done():
			c.dlg.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
			return false
		}
	}
	res := sip.NewSDPResponseFromRequest(c.dlg.InviteRequest, c.localSDP(false))
	res.AppendHeader(e.contactFor(c.dlg.InviteRequest))
	if err := c.dlg.WriteResponse(res); err != nil {
		return false
	}
	if c.offer == nil {
		// Late offer: our SDP was the offer, the ACK carries the answer.
		select {
		case body := <-c.ackSDP:
			md, err := parseSDP(body)
			if err != nil {
				return false
			}
			c.applyRemote(md)
		default:
			return false
		}
	}
	return true
}

func (c *call) applyRemote(md mediaDesc) {
	c.rtp.setRemote(md.Addr)
	if md.DTMFPT >= 0 {
		c.rtp.dtmfPT = md.DTMFPT
	}
	if !slices.Contains(md.Codecs, c.rtp.codec) {
		c.rtp.codec = md.Codecs[0]
	}
}

// localSDP describes our media: in an answer, the caller's G.711 laws in
// their order and their telephone-event payload type; as an offer (late
// offer or re-INVITE without SDP) PCMU, PCMA and 101.
func (c *call) localSDP(bump bool) []byte {
	if bump {
		c.sdpVersion.Add(1)
	}
	codecs, dtmf := []Codec{PCMU, PCMA}, telephoneEventPT
	if c.offer != nil {
		codecs, dtmf = c.offer.Codecs, c.offer.DTMFPT
		// Put the codec we send first so the caller knows which one it is.
		codecs = append([]Codec{c.rtp.codec}, slices.DeleteFunc(slices.Clone(codecs), func(x Codec) bool { return x == c.rtp.codec })...)
	}
	return buildSDP(c.localIP, c.rtp.localPort(), c.sessID, c.sdpVersion.Load(), codecs, dtmf)
}

// hangup ends the dialog from our side with BYE (no-op if it already ended).
func (c *call) hangup() {
	if c.dlg.LoadState() == sip.DialogStateEnded {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.dlg.Bye(ctx); err != nil && !errors.Is(err, context.Canceled) {
		c.e.log.Debug("hotline: BYE failed", "call", c.callID, "err", err)
	}
}

func newSessionID() uint64 { return rand.Uint64N(1 << 62) }

func addrIP(hostport string) netip.Addr {
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
