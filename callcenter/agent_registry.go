package callcenter

import (
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Registration lifetimes: phones usually ask for an hour; shorter than a
// minute only adds load, longer than an hour keeps dead phones ringing.
const (
	minRegisterExpiry     = 60
	maxRegisterExpiry     = 3600
	defaultRegisterExpiry = 3600
)

// handleRegister authenticates an agent's phone with digest (realm
// doithoai) and records where to ring it. No credentials: 401 with a
// challenge. Wrong credentials or unknown user: 403. Too many REGISTERs or
// failures from one address: 503 / 403 without checking.
func (e *engine) handleRegister(req *sip.Request, tx sip.ServerTransaction) {
	src := sourceIP(req).String()
	now := e.now()
	result := func(r string) { e.metrics.registrations.WithLabelValues(r).Inc() }
	if !e.registerLimit.allow(src, now) {
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
	h := req.GetHeader("Authorization")
	if h == nil {
		result("challenged")
		e.challenge(req, tx, false)
		return
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Realm != DigestRealm {
		result("challenged")
		e.challenge(req, tx, false)
		return
	}
	valid, stale := e.nonces.check(cred.Nonce, now)
	if !valid || stale {
		result("challenged")
		e.challenge(req, tx, stale)
		return
	}
	if e.authFailLimit.exhausted(src, now) {
		// Too many wrong passwords from here: refuse without checking, so
		// guessing costs the attacker time and us no lookups.
		result("locked_out")
		respond(tx, req, sip.StatusForbidden, "Forbidden (too many failures)")
		return
	}
	if cred.Username != to.Address.User {
		result("forbidden")
		respond(tx, req, sip.StatusForbidden, "Forbidden")
		return
	}
	ha1, ok, err := e.dir.AgentHA1(e.callsCtx, cred.Username)
	if err != nil {
		e.log.Error("hotline: agent lookup failed", "err", err)
		result("error")
		respond(tx, req, 500, "Server Internal Error", retryAfter(10))
		return
	}
	if !ok || !verifyDigest(cred, "REGISTER", ha1) {
		result("forbidden")
		e.authFailLimit.allow(src, now) // spend one of the source's failure budget
		respond(tx, req, sip.StatusForbidden, "Forbidden")
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
		e.agents.unregister(cred.Username)
		result("unregistered")
		respond(tx, req, 200, "OK")
		return
	}
	expiry = min(max(expiry, minRegisterExpiry), maxRegisterExpiry)
	e.agents.register(agent{
		login:     cred.Username,
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
		sip.NewHeader("WWW-Authenticate", e.nonces.challenge(e.now(), stale)))
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
