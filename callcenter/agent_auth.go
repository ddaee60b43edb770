package callcenter

import (
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// authenticate checks a REGISTER's digest. It returns the agent's login
// and "" when the request may change the registration, else the outcome
// to answer with (a label of doithoai_hotline_register_total):
// challenged, stale, forbidden, locked_out or error.
//
// Order matters: everything an attacker can send for free (no or foreign
// credentials, replays) is answered from the nonce alone; a real check of
// the secret is made only with budget left for both the source address and
// the account, and that budget is taken before the check, so concurrent
// guesses cannot overrun it.
func (e *engine) authenticate(req *sip.Request, src netip.Addr, now time.Time) (login, outcome string) {
	return e.authenticateAs(req, src, now, req.To().Address.User)
}

// authenticateAs is authenticate for any method, the credentials having
// to name user (a REGISTER's To, a staff-line INVITE's From).
func (e *engine) authenticateAs(req *sip.Request, src netip.Addr, now time.Time, user string) (login, outcome string) {
	h := req.GetHeader("Authorization")
	if h == nil {
		return "", "challenged"
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Realm != DigestRealm {
		return "", "challenged"
	}
	issued, valid, stale := e.nonces.check(cred.Nonce, src, now)
	if !valid {
		return "", "challenged" // not ours, or sent to another address
	}
	if stale {
		return "", "stale"
	}
	used, accounts := e.nonces.state()
	qop := cred.QOP != ""
	if used.spent(cred.Nonce, issued, qop, cred.Nc) {
		return "", "stale" // a replay, or a phone reusing an nc: new nonce
	}
	if cred.Username != user || !sipUserRe.MatchString(cred.Username) {
		return "", "forbidden"
	}
	srcKey := src.String()
	trusted := accounts.isTrusted(cred.Username, src, now)
	if e.authFailLimit.exhausted(srcKey, now) || !trusted && accounts.throttled(cred.Username, now) {
		return "", "locked_out"
	}
	if !e.authFailLimit.allow(srcKey, now) {
		return "", "locked_out"
	}
	if !trusted && !accounts.reserve(cred.Username, now) {
		e.authFailLimit.refund(srcKey)
		return "", "locked_out"
	}
	ha1, ok, err := e.dir.AgentHA1(e.callsCtx, cred.Username)
	if err != nil {
		e.log.Error("hotline: agent lookup failed", "err", err)
		e.authFailLimit.refund(srcKey)
		if !trusted {
			accounts.giveBack(cred.Username)
		}
		return "", "error"
	}
	if !ok || !verifyDigest(cred, string(req.Method), ha1) {
		return "", "forbidden" // the budgets stay spent
	}
	e.authFailLimit.refund(srcKey)
	accounts.succeeded(cred.Username, src, !trusted, now)
	ok, err = used.use(e.callsCtx, cred.Nonce, issued, qop, cred.Nc, now)
	if err != nil {
		// Not knowing whether the answer was used already, refuse it: the
		// phone asks again with a fresh nonce.
		e.log.Error("hotline: digest nonce ledger unavailable", "err", err)
		return "", "error"
	}
	if !ok {
		return "", "stale"
	}
	return cred.Username, ""
}
