package callcenter

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// agentLeg is our outgoing call to an agent's phone (we are the UAC). It is
// listed in engine.legs so the agent's BYE finds it.
type agentLeg struct {
	dlg *sipgo.DialogClientSession
}

// bridgeAgent rings agent a; if it answers, the two audio streams are
// bridged through us (B2BUA) until either side hangs up. It returns whether
// the agent answered. Ringing stops at until (the queue deadline) at the
// latest. The agent is released back to the pool in every case.
func (c *call) bridgeAgent(ctx context.Context, a *agent, until time.Time) (answered bool, err error) {
	e := c.e
	defer func() { e.agents.release(a.login, answered) }()
	c.path("ring:" + a.login)

	conn, err := e.ports.listen()
	if err != nil {
		e.log.Error("hotline: no RTP port for agent leg", "err", err)
		return false, nil
	}
	ip := e.advertised(addrIP(a.dest))
	// The agent's media is held to the same rule as the caller's: accepted
	// from its REGISTER source or its SDP address only.
	leg := newRTPSession(conn, PCMU, telephoneEventPT, addrIP(a.dest), e.rtpTimeouts())
	defer func() {
		leg.closeSession()
		e.metrics.rtpPackets.WithLabelValues("foreign").Add(float64(leg.stats.rxForeign.Load()))
	}()

	req := agentInvite(a, c.caller, ip, e.sipPort)
	req.SetBody(buildSDP(ip, leg.localPort(), newSessionID(), 1, []Codec{PCMU, PCMA}, telephoneEventPT))

	// sipgo can only CANCEL after a provisional response; if the phone sent
	// none, a forced cancel stops waiting without one. The ring context is
	// therefore not a child of ctx (whose cause would hide the force flag):
	// the caller leaving, the ring timeout and the queue deadline all stop
	// it through stopRinging.
	ringCtx, stopRing := context.WithCancelCause(context.WithoutCancel(ctx))
	defer stopRing(nil)
	var provisional atomic.Bool
	stopRinging := func() {
		if provisional.Load() {
			stopRing(errors.New("ring stopped"))
		} else {
			stopRing(sipgo.WaitAnswerForceCancelErr)
		}
	}
	ringTimer := time.AfterFunc(max(0, min(e.cfg.AgentRingTimeout, time.Until(until))), stopRinging)
	defer ringTimer.Stop()
	stopOnHangup := context.AfterFunc(ctx, stopRinging)
	defer stopOnHangup()

	dlg, err := e.dialogUA.WriteInvite(ringCtx, req)
	if err != nil {
		e.log.Warn("hotline: cannot ring agent", "agent", a.login, "err", err)
		return false, nil
	}
	defer dlg.Close()
	err = dlg.WaitAnswer(ringCtx, sipgo.AnswerOptions{OnResponse: func(r *sip.Response) error {
		if r.IsProvisional() && r.StatusCode > 100 {
			provisional.Store(true)
		}
		return nil
	}})
	if err != nil {
		c.path("ring_failed:" + a.login)
		return false, nil
	}
	md, err := parseSDP(dlg.InviteResponse.Body())
	if err != nil {
		dlg.Ack(ctx)
		byeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		dlg.Bye(byeCtx)
		cancel()
		return false, nil
	}
	if err := dlg.Ack(ctx); err != nil {
		return false, nil
	}
	e.mu.Lock()
	e.legs[dlg.ID] = &agentLeg{dlg: dlg}
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.legs, dlg.ID)
		e.mu.Unlock()
	}()

	leg.codec = md.Codecs[0]
	leg.dtmfPT = md.DTMFPT
	leg.setRemote(md.Addr)
	leg.start()

	// Each direction is decoded to PCM and re-paced on the other leg's
	// clock, which also transcodes PCMU↔PCMA. With consent both directions
	// are also mixed into the call's recording.
	bridgedAt := e.now()
	mix := c.startCallRecording()
	toAgent, toCaller := &frameQueue{}, &frameQueue{}
	callerSink, agentSink := toAgent.push, toCaller.push
	if mix != nil {
		callerSink = func(pcm []int16) { toAgent.push(pcm); mix.fromCaller(pcm) }
		agentSink = func(pcm []int16) { toCaller.push(pcm); mix.fromAgent(pcm) }
	}
	c.rtp.setSink(callerSink)
	leg.setSource(toAgent)
	leg.setSink(agentSink)
	c.rtp.setSource(toCaller)
	lc := LiveCall{CallID: c.callID, Caller: c.caller, Hotline: c.hotline, Agent: a.login, Language: c.lang,
		Topic: c.topic.Key, Since: bridgedAt, Recorded: mix != nil}
	e.addLive(lc)
	e.shareLive(lc)
	// Every answered call ends as a ticket, however it ends. The sinks are
	// detached first so the recording is complete when it is finished.
	defer func() {
		c.rtp.setSink(nil)
		c.rtp.setSource(nil)
		leg.setSink(nil)
		if terr := c.operatorTicket(a.login, mix, bridgedAt); terr != nil {
			e.log.Error("hotline: operator call ticket failed", "call", c.callID, "err", terr)
		}
		e.removeLive(c.callID)
		e.unshareLive(c.callID)
	}()
	c.cdr.Agent = a.login
	c.cdr.Outcome = OutcomeAgent
	c.path("agent:" + a.login) // after addLive: the desk shows the call from here on

	select {
	case <-ctx.Done():
		c.path("agent_end:caller")
	case <-dlg.Context().Done():
		c.path("agent_end:agent")
	case <-leg.Dead():
		if errors.Is(leg.deadCause(), errNoRTP) {
			c.path("agent_end:no_rtp")
		} else {
			c.path("agent_end:rtp_timeout")
		}
	}
	if dlg.LoadState() != sip.DialogStateEnded {
		byeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		dlg.Bye(byeCtx)
		cancel()
	}
	return true, nil
}

// agentInvite is the INVITE (without its SDP) that rings agent a for a
// caller whose number, as the caller wrote it, is caller: it becomes the
// display name the phone shows, so it is made a safe quoted-string.
func agentInvite(a *agent, caller string, ip netip.Addr, sipPort int) *sip.Request {
	req := sip.NewRequest(sip.INVITE, *a.contact.Clone())
	if !routeThroughPath(req, a.path) {
		req.SetDestination(a.dest)
		req.SetTransport(a.transport)
	}
	from := sip.FromHeader{DisplayName: quotedStringContent(caller), Address: sip.Uri{Scheme: "sip", User: sanitizeUser(caller), Host: ip.String(), Port: sipPort}}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(&from)
	req.AppendHeader(&sip.ToHeader{Address: *a.contact.Clone()})
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "hotline", Host: ip.String(), Port: sipPort}}
	if tp := sip.NetworkToLower(a.transport); tp != "udp" {
		contact.Address.UriParams = sip.HeaderParams{{K: "transport", V: tp}}
	}
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	return req
}

// maxDisplayName bounds the caller-supplied display name (in bytes).
const maxDisplayName = 64

// quotedStringContent makes s the inside of an RFC 3261 quoted-string
// (sipgo writes the surrounding quotes but escapes nothing): invalid UTF-8,
// CR, LF and other control characters are dropped, and format characters
// too (a bidi override would disguise the number on the phone's screen);
// backslash and DQUOTE are escaped; the result is cut at maxDisplayName
// bytes on a character boundary, never inside an escape.
func quotedStringContent(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		var piece string
		switch r {
		case '\\', '"':
			piece = `\` + string(r)
		default:
			piece = string(r)
		}
		if b.Len()+len(piece) > maxDisplayName {
			break
		}
		b.WriteString(piece)
	}
	return b.String()
}

func sanitizeUser(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(out) < 32; i++ {
		ch := s[i]
		if ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch == '+' || ch == '-' || ch == '.' {
			out = append(out, ch)
		}
	}
	if len(out) == 0 {
		return "anonymous"
	}
	return string(out)
}
