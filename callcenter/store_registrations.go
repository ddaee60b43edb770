package callcenter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// agentRegistry keeps agents' registrations and the calls bridged to them
// where every node sees them (PostgreSQL: pgRegistry). Claims and leases
// use the database's clock, so nodes' clocks need not agree.
type agentRegistry interface {
	saveRegistration(ctx context.Context, a agent, node string) error
	deleteRegistration(ctx context.Context, login string) error
	// claimAgent takes the agent idle the longest that no live node holds.
	claimAgent(ctx context.Context, node string, lease time.Duration) (agent, bool, error)
	releaseAgent(ctx context.Context, login, node string, answered bool) error
	// renew extends the leases of node's claims and live calls.
	renew(ctx context.Context, node string, lease time.Duration) error
	listAgents(ctx context.Context) ([]AgentStatus, error)
	putLiveCall(ctx context.Context, node string, lc LiveCall, lease time.Duration) error
	deleteLiveCall(ctx context.Context, callID string) error
	listLiveCalls(ctx context.Context) ([]LiveCall, error)
	liveCallExists(ctx context.Context, callID string) (bool, error)
}

type pgRegistry struct{ pool *pgxpool.Pool }

// A refresh keeps the agent's idle time, back-off and claim: re-registering
// mid-call must not make a busy phone look free.
const sqlSaveRegistration = `
INSERT INTO hotline_registrations (login, contact, dest, transport, path, node, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (login) DO UPDATE SET contact = EXCLUDED.contact, dest = EXCLUDED.dest,
    transport = EXCLUDED.transport, path = EXCLUDED.path, node = EXCLUDED.node,
    expires_at = EXCLUDED.expires_at`

func (r pgRegistry) saveRegistration(ctx context.Context, a agent, node string) error {
	_, err := r.pool.Exec(ctx, sqlSaveRegistration, a.login, a.contact.String(), a.dest, a.transport,
		strings.Join(a.path, ", "), node, a.expires)
	if err != nil {
		return fmt.Errorf("save registration %s: %w", a.login, err)
	}
	return nil
}

func (r pgRegistry) deleteRegistration(ctx context.Context, login string) error {
	if _, err := r.pool.Exec(ctx, `DELETE FROM hotline_registrations WHERE login = $1`, login); err != nil {
		return fmt.Errorf("delete registration %s: %w", login, err)
	}
	return nil
}

// SKIP LOCKED lets two nodes claim at once without waiting on each
// other; the row lock plus the re-checked WHERE make one claim win. A
// phone registered directly over TCP is reachable only on its connection
// to the node it registered through; through an edge (path) or over UDP
// any node reaches it.
const sqlClaimAgent = `
UPDATE hotline_registrations SET claimed_by = $1, claimed_until = now() + $2::bigint * interval '1 millisecond'
WHERE login = (
    SELECT login FROM hotline_registrations
    WHERE expires_at > now() AND skip_until <= now()
      AND (claimed_by IS NULL OR claimed_until < now())
      AND (path <> '' OR upper(transport) = 'UDP' OR node = $1)
    ORDER BY idle_since, login
    LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING login, contact, dest, transport, path, expires_at`

func (r pgRegistry) claimAgent(ctx context.Context, node string, lease time.Duration) (agent, bool, error) {
	var a agent
	var contact, path string
	err := r.pool.QueryRow(ctx, sqlClaimAgent, node, lease.Milliseconds()).Scan(&a.login, &contact, &a.dest, &a.transport, &path, &a.expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return agent{}, false, nil
	}
	if err != nil {
		return agent{}, false, fmt.Errorf("claim agent: %w", err)
	}
	if err := sip.ParseUri(contact, &a.contact); err != nil {
		// Written by us from a parsed URI: unreadable means corrupted.
		_ = r.releaseAgent(ctx, a.login, node, false)
		return agent{}, false, fmt.Errorf("claim agent %s: contact %q: %w", a.login, contact, err)
	}
	if path != "" {
		a.path = strings.Split(path, ", ")
	}
	a.busy = true
	return a, true, nil
}

const sqlReleaseAgent = `
UPDATE hotline_registrations SET claimed_by = NULL, claimed_until = NULL, idle_since = now(),
    skip_until = CASE WHEN $3 THEN skip_until ELSE now() + $4::bigint * interval '1 millisecond' END
WHERE login = $1 AND claimed_by = $2`

func (r pgRegistry) releaseAgent(ctx context.Context, login, node string, answered bool) error {
	if _, err := r.pool.Exec(ctx, sqlReleaseAgent, login, node, answered, agentNoAnswerBackoff.Milliseconds()); err != nil {
		return fmt.Errorf("release agent %s: %w", login, err)
	}
	return nil
}

func (r pgRegistry) renew(ctx context.Context, node string, lease time.Duration) error {
	b := &pgx.Batch{}
	b.Queue(`UPDATE hotline_registrations SET claimed_until = now() + $2::bigint * interval '1 millisecond' WHERE claimed_by = $1`, node, lease.Milliseconds())
	b.Queue(`UPDATE hotline_live_calls SET lease_until = now() + $2::bigint * interval '1 millisecond' WHERE node = $1`, node, lease.Milliseconds())
	// Rows of dead nodes and long-expired registrations go; this runs on
	// every node, which is harmless (the same rows).
	b.Queue(`DELETE FROM hotline_live_calls WHERE lease_until < now() - interval '1 minute'`)
	b.Queue(`DELETE FROM hotline_registrations WHERE expires_at < now() - interval '1 hour'
	         AND (claimed_by IS NULL OR claimed_until < now())`)
	if err := r.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("renew leases of %s: %w", node, err)
	}
	return nil
}

func (r pgRegistry) listAgents(ctx context.Context) ([]AgentStatus, error) {
	rows, err := r.pool.Query(ctx, `
SELECT login, claimed_by IS NOT NULL AND claimed_until >= now(), expires_at
FROM hotline_registrations
WHERE expires_at > now() OR (claimed_by IS NOT NULL AND claimed_until >= now())
ORDER BY login`)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AgentStatus, error) {
		var s AgentStatus
		err := row.Scan(&s.Login, &s.Busy, &s.Expires)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	return out, nil
}

func (r pgRegistry) putLiveCall(ctx context.Context, node string, lc LiveCall, lease time.Duration) error {
	_, err := r.pool.Exec(ctx, `
INSERT INTO hotline_live_calls (call_id, node, caller, hotline, agent, language, topic, since, recorded, lease_until)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + $10::bigint * interval '1 millisecond')
ON CONFLICT (call_id) DO UPDATE SET node = EXCLUDED.node, lease_until = EXCLUDED.lease_until`,
		lc.CallID, node, lc.Caller, lc.Hotline, lc.Agent, lc.Language, lc.Topic, lc.Since, lc.Recorded, lease.Milliseconds())
	if err != nil {
		return fmt.Errorf("share live call %s: %w", lc.CallID, err)
	}
	return nil
}

func (r pgRegistry) deleteLiveCall(ctx context.Context, callID string) error {
	if _, err := r.pool.Exec(ctx, `DELETE FROM hotline_live_calls WHERE call_id = $1`, callID); err != nil {
		return fmt.Errorf("unshare live call %s: %w", callID, err)
	}
	return nil
}

func (r pgRegistry) listLiveCalls(ctx context.Context) ([]LiveCall, error) {
	rows, err := r.pool.Query(ctx, `
SELECT call_id, caller, hotline, agent, language, topic, since, recorded
FROM hotline_live_calls WHERE lease_until >= now() ORDER BY since, call_id`)
	if err != nil {
		return nil, fmt.Errorf("list live calls: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (LiveCall, error) {
		var lc LiveCall
		err := row.Scan(&lc.CallID, &lc.Caller, &lc.Hotline, &lc.Agent, &lc.Language, &lc.Topic, &lc.Since, &lc.Recorded)
		return lc, err
	})
	if err != nil {
		return nil, fmt.Errorf("list live calls: %w", err)
	}
	return out, nil
}

func (r pgRegistry) liveCallExists(ctx context.Context, callID string) (bool, error) {
	var ok bool
	err := r.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM hotline_live_calls WHERE call_id = $1 AND lease_until >= now())`, callID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("live call %s: %w", callID, err)
	}
	return ok, nil
}
