package callcenter

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Registration lifetimes: phones usually ask for an hour; shorter than a
// minute only adds load, longer than an hour keeps dead phones ringing.
const (
	minRegisterExpiry     = 60
	maxRegisterExpiry     = 3600
	defaultRegisterExpiry = 3600
)

// handleRegister authenticates an agent's phone with digest (realm
// doithoai) and records where to ring it. No credentials, a nonce that was
// not sent to this address, or an answer already used: 401 with a fresh
// challenge. Wrong credentials or unknown user: 403. Too many REGISTERs
// from one address: 503; too many failures from one address or against
// one account: 403 without checking (see digest_guard.go).
//
// Through a trusted edge the phone's own address (from the Path) takes the
// place of the source for all of this, and the Path is kept as the route
// to the phone (sip_edge.go).
func (e *engine) handleRegister(req *sip.Request, tx sip.ServerTransaction) {
	src, path := e.registerOrigin(req)
	now := e.now()
	result := func(r string) { e.metrics.registrations.WithLabelValues(r).Inc() }
	if !e.registerLimit.allow(src.String(), now) {
		result("rate_limited")
		respond(tx, req, sip.StatusServiceUnavailable, "Service Unavailable", retryAfter(30))
		return
	}
	to, contact := req.To(), req.Contact()
	if to == nil || req.From() == nil || req.CallID() == nil {
		result("malformed")
		respond(tx, req, 400, "Bad Request")
		return
	}
	login, outcome := e.authenticate(req, src, now)
	if outcome != "" {
		result(outcome)
		switch outcome {
		case "challenged":
			e.challengeFor(req, tx, src, false)
		case "stale":
			e.challengeFor(req, tx, src, true)
		case "error":
			respond(tx, req, 500, "Server Internal Error", retryAfter(10))
		case "locked_out":
			respond(tx, req, sip.StatusForbidden, "Forbidden (too many failures)")
		default:
			respond(tx, req, sip.StatusForbidden, "Forbidden")
		}
		return
	}

	expiry := registerExpiry(req)
	if contact == nil {
		// A REGISTER without Contact queries bindings; we report none kept.
		result("ok")
		respond(tx, req, 200, "OK")
		return
	}
	if contact.Address.Wildcard || expiry == 0 {
		if err := e.agents.unregister(login); err != nil {
			e.log.Error("hotline: unregister failed", "agent", login, "err", err)
			result("error")
			respond(tx, req, 500, "Server Internal Error", retryAfter(10))
			return
		}
		result("unregistered")
		respond(tx, req, 200, "OK")
		return
	}
	expiry = min(max(expiry, minRegisterExpiry), maxRegisterExpiry)
	err := e.agents.register(agent{
		login:     login,
		contact:   *contact.Address.Clone(),
		dest:      req.Source(),
		transport: req.Transport(),
		path:      path,
		expires:   now.Add(time.Duration(expiry) * time.Second),
	})
	if err != nil {
		// Not stored: the phone must not believe it is reachable.
		e.log.Error("hotline: registration not stored", "agent", login, "err", err)
		result("error")
		respond(tx, req, 500, "Server Internal Error", retryAfter(10))
		return
	}
	result("ok")
	ch := sip.ContactHeader{Address: contact.Address, Params: sip.HeaderParams{{K: "expires", V: strconv.Itoa(expiry)}}}
	respond(tx, req, 200, "OK", &ch, sip.NewHeader("Expires", strconv.Itoa(expiry)))
}

// challengeFor sends a challenge whose nonce is bound to src.
func (e *engine) challengeFor(req *sip.Request, tx sip.ServerTransaction, src netip.Addr, stale bool) {
	respond(tx, req, sip.StatusUnauthorized, "Unauthorized",
		sip.NewHeader("WWW-Authenticate", e.nonces.challenge(src, e.now(), stale)))
}

// registerExpiry reads the Contact expires parameter, else the Expires
// header, else the default.
func registerExpiry(req *sip.Request) int {
	if c := req.Contact(); c != nil {
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
				return n
			}
		}
	}
	if h := req.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n >= 0 {
			return n
		}
	}
	return defaultRegisterExpiry
}
