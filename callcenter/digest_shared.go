package callcenter

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Nodes behind one edge share the digest ledger: a nonce is good on any
// node with the same HOTLINE_NONCE_SECRET, so a ledger per node would let
// an answer captured on its way to node A be replayed once to every other
// node. The deployment's ledger is hotline_digest_nonces; each verified
// request claims its (nonce, nc) there with one statement, which is the
// only extra round trip (REGISTERs and staff-line INVITEs, never media).

// nonceStore claims a verified answer in storage every node sees.
type nonceStore interface {
	// claimNonce records (nonce, nc); false if it, or a higher nc of a
	// qop nonce, was claimed already, by any node.
	claimNonce(ctx context.Context, nonce string, issued time.Time, qop bool, nc int) (bool, error)
	// forgetNonces drops rows issued before the given time.
	forgetNonces(ctx context.Context, before time.Time) error
}

// A nonce without qop is single-use; with qop it may be reused with a
// higher nc only. The conditional upsert makes two nodes racing on one
// answer agree: the row lock lets one statement update, and the other
// sees the new nc and returns nothing.
const sqlClaimNonce = `
INSERT INTO hotline_digest_nonces (nonce, qop, nc, issued_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (nonce) DO UPDATE SET nc = EXCLUDED.nc
    WHERE hotline_digest_nonces.qop AND EXCLUDED.qop AND EXCLUDED.nc > hotline_digest_nonces.nc
RETURNING nc`

func (r pgRegistry) claimNonce(ctx context.Context, nonce string, issued time.Time, qop bool, nc int) (bool, error) {
	var got int
	err := r.pool.QueryRow(ctx, sqlClaimNonce, nonce, qop, nc, issued).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim digest nonce: %w", err)
	}
	return true, nil
}

func (r pgRegistry) forgetNonces(ctx context.Context, before time.Time) error {
	if _, err := r.pool.Exec(ctx, `DELETE FROM hotline_digest_nonces WHERE issued_at < $1`, before); err != nil {
		return fmt.Errorf("forget digest nonces: %w", err)
	}
	return nil
}

// nonceKeep is how long a used nonce's row stays: the nonce itself is
// refused as stale after nonceLifetime by every node, so the rest is
// margin for nodes whose clocks disagree (up to that much).
const nonceKeep = time.Hour

// sharedNonceLedger is the deployment's ledger with this node's own
// ledger in front: what this node saw used is refused without a round
// trip (replays at one node cost nothing); everything else is claimed in
// storage, and only then remembered locally.
type sharedNonceLedger struct {
	store  nonceStore
	local  *nonceLedger
	swept  atomic.Int64 // unix seconds of the last forgetNonces
	sweeps time.Duration
}

func newSharedNonceLedger(s nonceStore) *sharedNonceLedger {
	return &sharedNonceLedger{store: s, local: newNonceLedger(), sweeps: time.Minute}
}

func (l *sharedNonceLedger) spent(nonce string, issued time.Time, qop bool, nc int) bool {
	return l.local.spent(nonce, issued, qop, nc)
}

func (l *sharedNonceLedger) use(ctx context.Context, nonce string, issued time.Time, qop bool, nc int, now time.Time) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, sharedOpTimeout)
	defer cancel()
	ok, err := l.store.claimNonce(ctx, nonce, issued, qop, nc)
	if err != nil || !ok {
		return false, err
	}
	// The claim is what counts; the local copy only saves round trips.
	l.local.use(nonce, issued, qop, nc, now)
	l.sweep(ctx, now)
	return true, nil
}

// sweep drops old rows, at most once a minute per node. A failure only
// keeps them a little longer.
func (l *sharedNonceLedger) sweep(ctx context.Context, now time.Time) {
	last := l.swept.Load()
	if now.Unix()-last < int64(l.sweeps.Seconds()) || !l.swept.CompareAndSwap(last, now.Unix()) {
		return
	}
	_ = l.store.forgetNonces(ctx, now.Add(-nonceKeep))
}
