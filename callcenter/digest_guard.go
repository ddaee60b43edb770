package callcenter

import (
	"context"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"time"
)

// nonceUses counts each verified digest answer (nonce, nc) once: in this
// node's memory (nonceLedger) or, when the nodes share PostgreSQL, in the
// deployment (sharedNonceLedger, digest_shared.go). spent is a free
// pre-check (no round trip); use is the authoritative claim, made once per
// verified request.
type nonceUses interface {
	spent(nonce string, issued time.Time, qop bool, nc int) bool
	use(ctx context.Context, nonce string, issued time.Time, qop bool, nc int, now time.Time) (bool, error)
}

// memoryNonces is this node's ledger as a nonceUses.
type memoryNonces struct{ *nonceLedger }

func (m memoryNonces) use(_ context.Context, nonce string, issued time.Time, qop bool, nc int, now time.Time) (bool, error) {
	return m.nonceLedger.use(nonce, issued, qop, nc, now), nil
}

// nonceLedger remembers the nonces that were answered correctly, so each
// answer counts once: with qop=auth a nonce may be reused with a growing
// nc (phones re-register that way), without qop a nonce is single-use.
// Entries are added only after a digest verified, and dropped when their
// nonce has expired anyway. If it is ever full of live entries, the
// oldest is dropped and every nonce issued up to then counts as used
// (floor): the ledger forgets, but never lets a replay through.
type nonceLedger struct {
	mu    sync.Mutex
	seen  map[string]nonceUse // by nonce; guarded by mu
	floor time.Time           // nonces issued at or before floor are spent
}

type nonceUse struct {
	issued time.Time
	qop    bool
	nc     int
}

const nonceLedgerMax = 10000

func newNonceLedger() *nonceLedger { return &nonceLedger{seen: map[string]nonceUse{}} }

// spent reports whether an answer with this nonce and nc was already used.
func (l *nonceLedger) spent(nonce string, issued time.Time, qop bool, nc int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.spentLocked(nonce, issued, qop, nc)
}

func (l *nonceLedger) spentLocked(nonce string, issued time.Time, qop bool, nc int) bool {
	if !issued.After(l.floor) {
		return true
	}
	u, ok := l.seen[nonce]
	if !ok {
		return false
	}
	return !qop || !u.qop || nc <= u.nc
}

// use records a verified answer; false if it was used already (two copies
// of one request racing: only the first wins).
func (l *nonceLedger) use(nonce string, issued time.Time, qop bool, nc int, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.spentLocked(nonce, issued, qop, nc) {
		return false
	}
	if _, ok := l.seen[nonce]; !ok && len(l.seen) >= nonceLedgerMax {
		l.makeRoomLocked(now)
	}
	l.seen[nonce] = nonceUse{issued: issued, qop: qop, nc: nc}
	return true
}

func (l *nonceLedger) makeRoomLocked(now time.Time) {
	for k, u := range l.seen {
		if now.Sub(u.issued) > nonceLifetime {
			delete(l.seen, k)
		}
	}
	for len(l.seen) >= nonceLedgerMax {
		var oldest string
		for k, u := range l.seen {
			if oldest == "" || u.issued.Before(l.seen[oldest].issued) {
				oldest = k
			}
		}
		l.floor = l.seen[oldest].issued
		delete(l.seen, oldest)
	}
}

// Per-account guessing limit. The per-source limit alone lets an attacker
// with many addresses guess at one account in parallel, so each account
// also has a budget of checks from addresses it has never registered from:
// accountFailBurst, then one per accountFailEvery. Addresses the agent
// registered from successfully in the last accountTrustTTL are exempt
// (they keep only the per-source limit), so an attack from elsewhere slows
// guessing to one a minute without locking the agent's own phone out.
// While an account is throttled, a phone at a new address is refused
// until the attack stops (the budget refills within accountFailEvery ×
// accountFailBurst). A nonce is bound to the address it was sent to, so
// an attacker cannot borrow a trusted address by forging UDP sources.
const (
	accountFailBurst  = 10
	accountFailEvery  = time.Minute
	accountTrustTTL   = 7 * 24 * time.Hour
	accountTrustedMax = 4 // addresses remembered per account
)

type accountGuard struct {
	budget *rateLimiter // by lower-case login

	mu      sync.Mutex
	trusted map[string][]trustedSource // by lower-case login; guarded by mu
}

type trustedSource struct {
	ip    netip.Addr
	until time.Time
}

func newAccountGuard() *accountGuard {
	return &accountGuard{budget: newRateLimiter(1/accountFailEvery.Seconds(), accountFailBurst), trusted: map[string][]trustedSource{}}
}

// sipUserRe is the shape of a login (auth's loginRe); anything else is
// refused before it can become a key of the guard.
var sipUserRe = regexp.MustCompile(`^[a-zA-Z0-9._@+-]{3,64}$`)

func accountKey(login string) string { return strings.ToLower(login) }

// isTrusted reports whether the agent registered from ip recently.
func (g *accountGuard) isTrusted(login string, ip netip.Addr, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range g.trusted[accountKey(login)] {
		if s.ip == ip && now.Before(s.until) {
			return true
		}
	}
	return false
}

// throttled reports whether login has no check left for untrusted sources.
func (g *accountGuard) throttled(login string, now time.Time) bool {
	return g.budget.exhausted(accountKey(login), now)
}

// reserve takes one check from login's budget; false if none is left.
func (g *accountGuard) reserve(login string, now time.Time) bool {
	return g.budget.allow(accountKey(login), now)
}

// giveBack returns a check reserved but not made.
func (g *accountGuard) giveBack(login string) { g.budget.refund(accountKey(login)) }

// succeeded trusts ip for login and gives back a reserved check.
func (g *accountGuard) succeeded(login string, ip netip.Addr, reserved bool, now time.Time) {
	key := accountKey(login)
	if reserved {
		g.giveBack(login)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	list := []trustedSource{{ip: ip, until: now.Add(accountTrustTTL)}}
	for _, s := range g.trusted[key] {
		if s.ip != ip && now.Before(s.until) && len(list) < accountTrustedMax {
			list = append(list, s)
		}
	}
	g.trusted[key] = list
}

// refund gives back a token taken by allow: a check that succeeded (or was
// not made) costs nothing.
func (l *rateLimiter) refund(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.buckets[key]; b != nil {
		b.tokens = min(l.burst, b.tokens+1)
	}
}
