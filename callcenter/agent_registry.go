package callcenter

import (
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
func (e *engine) handleRegister(req *sip.Request, tx sip.ServerTransaction) {
	src := sourceIP(req)
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
			e.challenge(req, tx, false)
		case "stale":
			e.challenge(req, tx, true)
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
		e.agents.unregister(login)
		result("unregistered")
		respond(tx, req, 200, "OK")
		return
	}
	expiry = min(max(expiry, minRegisterExpiry), maxRegisterExpiry)
	e.agents.register(agent{
		login:     login,
		contact:   *contact.Address.Clone(),
		dest:      req.Source(),
		transport: req.Transport(),
		expires:   now.Add(time.Duration(expiry) * time.Second),
	})
	result("ok")
	ch := sip.ContactHeader{Address: contact.Address, Params: sip.HeaderParams{{K: "expires", V: strconv.Itoa(expiry)}}}
	respond(tx, req, 200, "OK", &ch, sip.NewHeader("Expires", strconv.Itoa(expiry)))
}

func (e *engine) challenge(req *sip.Request, tx sip.ServerTransaction, stale bool) {
	respond(tx, req, sip.StatusUnauthorized, "Unauthorized",
		sip.NewHeader("WWW-Authenticate", e.nonces.challenge(sourceIP(req), e.now(), stale)))
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
