package callcenter

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// A node killed mid-call (SIGKILL, power, OOM) sends no BYE, writes no
// ticket and no CDR: without more, the caller's number is lost with it.
// So every answered call has a row in hotline_calls_in_progress from the
// answer to its end (caller, hotline, language and topic once chosen),
// under a lease the node renews with its agent claims. A surviving node
// that finds rows whose lease lapsed (no renewal for AgentLease, plus as
// much again so a node merely slow to renew is not taken for dead) turns
// each into a callback task, the same task a caller who gave up in the
// queue leaves (callback.go), and deletes the row.
//
// Unlike a caller who gives up, a dropped caller did not choose to leave:
// they are called back whether or not they reached the consent question
// (their number is in the call's CDR either way). Conversion is at least
// once: a node that dies between the task and the delete leaves the row
// to be converted again, and a node that was alive but cut off from the
// database past the lease has its calls converted too, so a caller may
// rarely get two tasks; none is ever without one.

// trackedCall is one row of hotline_calls_in_progress.
type trackedCall struct {
	CallID, Node, Caller, Hotline, Language, Topic string
	Started                                        time.Time
}

// callTracker is the storage of calls in progress (pgRegistry).
type callTracker interface {
	trackCall(ctx context.Context, c trackedCall, lease time.Duration) error
	updateTrackedCall(ctx context.Context, callID, language, topic string) error
	untrackCall(ctx context.Context, callID string) error
	// renewTracked extends the leases of node's calls.
	renewTracked(ctx context.Context, node string, lease time.Duration) error
	// claimOrphans takes calls whose lease lapsed more than grace ago, for
	// lease (another node takes them again if this one dies converting).
	claimOrphans(ctx context.Context, lease, grace time.Duration) ([]trackedCall, error)
}

func (r pgRegistry) trackCall(ctx context.Context, c trackedCall, lease time.Duration) error {
	_, err := r.pool.Exec(ctx, `
INSERT INTO hotline_calls_in_progress (call_id, node, caller, hotline, language, topic, started_at, lease_until)
VALUES ($1, $2, $3, $4, $5, $6, $7, now() + $8::bigint * interval '1 millisecond')
ON CONFLICT (call_id) DO NOTHING`,
		c.CallID, c.Node, c.Caller, c.Hotline, c.Language, c.Topic, c.Started, lease.Milliseconds())
	if err != nil {
		return fmt.Errorf("track call %s: %w", c.CallID, err)
	}
	return nil
}

func (r pgRegistry) updateTrackedCall(ctx context.Context, callID, language, topic string) error {
	if _, err := r.pool.Exec(ctx, `UPDATE hotline_calls_in_progress SET language = $2, topic = $3 WHERE call_id = $1`, callID, language, topic); err != nil {
		return fmt.Errorf("update tracked call %s: %w", callID, err)
	}
	return nil
}

func (r pgRegistry) untrackCall(ctx context.Context, callID string) error {
	if _, err := r.pool.Exec(ctx, `DELETE FROM hotline_calls_in_progress WHERE call_id = $1`, callID); err != nil {
		return fmt.Errorf("untrack call %s: %w", callID, err)
	}
	return nil
}

func (r pgRegistry) renewTracked(ctx context.Context, node string, lease time.Duration) error {
	_, err := r.pool.Exec(ctx, `UPDATE hotline_calls_in_progress SET lease_until = now() + $2::bigint * interval '1 millisecond' WHERE node = $1`,
		node, lease.Milliseconds())
	if err != nil {
		return fmt.Errorf("renew calls in progress of %s: %w", node, err)
	}
	return nil
}

// SKIP LOCKED: nodes sweeping at once take different rows; the new lease
// keeps the others off the claimed ones while they are converted.
const sqlClaimOrphans = `
UPDATE hotline_calls_in_progress SET lease_until = now() + $1::bigint * interval '1 millisecond'
WHERE call_id IN (
    SELECT call_id FROM hotline_calls_in_progress
    WHERE lease_until < now() - $2::bigint * interval '1 millisecond'
    ORDER BY lease_until LIMIT 100 FOR UPDATE SKIP LOCKED)
RETURNING call_id, node, caller, hotline, language, topic, started_at`

func (r pgRegistry) claimOrphans(ctx context.Context, lease, grace time.Duration) ([]trackedCall, error) {
	rows, err := r.pool.Query(ctx, sqlClaimOrphans, lease.Milliseconds(), grace.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("claim orphaned calls: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (trackedCall, error) {
		var c trackedCall
		err := row.Scan(&c.CallID, &c.Node, &c.Caller, &c.Hotline, &c.Language, &c.Topic, &c.Started)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim orphaned calls: %w", err)
	}
	return out, nil
}

// tracker is the shared storage of calls in progress, if the nodes share
// one (a single node with PostgreSQL has it too: it converts what the
// process before it left).
func (e *engine) tracker() (callTracker, bool) {
	t, ok := e.agents.shared.reg.(callTracker)
	return t, ok
}

// Writes of the call goroutine wait at most this long: the caller hears
// the greeting late rather than not at all, and a failed write only loses
// the safety net, not the call.
const trackTimeout = 2 * time.Second

// trackCall records an answered call; calls without a number to call back
// (and the staff line) are not tracked.
func (e *engine) trackCall(c *call) bool {
	t, ok := e.tracker()
	if !ok || c.caller == "" || c.staff != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), trackTimeout)
	defer cancel()
	tc := trackedCall{CallID: c.callID, Node: e.agents.shared.node, Caller: c.caller, Hotline: c.hotline, Language: c.lang, Started: c.cdr.StartedAt}
	if err := t.trackCall(ctx, tc, e.agents.shared.lease); err != nil {
		e.log.Warn("hotline: call in progress not recorded", "call", c.callID, "err", err)
		return false
	}
	return true
}

// noteTrackedStep keeps the row's language and topic as the caller
// chooses them (one small write each), so a callback after a crash is in
// the caller's language.
func (e *engine) noteTrackedStep(c *call, step string) {
	if !c.tracked || !strings.HasPrefix(step, "lang:") && !strings.HasPrefix(step, "topic:") {
		return
	}
	t, _ := e.tracker()
	ctx, cancel := context.WithTimeout(context.Background(), trackTimeout)
	defer cancel()
	if err := t.updateTrackedCall(ctx, c.callID, c.lang, c.topic.Key); err != nil {
		e.log.Warn("hotline: call in progress not updated", "call", c.callID, "err", err)
	}
}

// untrackCall removes the row of a call that ended on this node.
func (e *engine) untrackCall(c *call) {
	if !c.tracked {
		return
	}
	t, _ := e.tracker()
	ctx, cancel := context.WithTimeout(context.Background(), sharedOpTimeout)
	defer cancel()
	if err := t.untrackCall(ctx, c.callID); err != nil {
		// The row outlives this node's leases only if the node dies too;
		// while it lives, renewals keep it from being taken for orphaned.
		e.log.Warn("hotline: call in progress not removed", "call", c.callID, "err", err)
	}
}

// watchOrphans renews this node's calls in progress and converts other
// nodes' orphaned ones until ctx ends.
func (e *engine) watchOrphans(ctx context.Context) {
	t, ok := e.tracker()
	if !ok {
		return
	}
	s := e.agents.shared
	tick := time.NewTicker(max(s.lease/3, 100*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rctx, cancel := context.WithTimeout(ctx, sharedOpTimeout)
		if err := t.renewTracked(rctx, s.node, s.lease); err != nil {
			e.log.Warn("hotline: renewing calls in progress failed", "err", err)
		}
		cancel()
		e.convertOrphans(ctx, t)
	}
}

// convertOrphans turns calls left by dead nodes into callback tasks.
func (e *engine) convertOrphans(ctx context.Context, t callTracker) {
	s := e.agents.shared
	cctx, cancel := context.WithTimeout(ctx, sharedOpTimeout)
	defer cancel()
	orphans, err := t.claimOrphans(cctx, s.lease, s.lease)
	if err != nil {
		e.log.Warn("hotline: looking for orphaned calls failed", "err", err)
		return
	}
	for _, o := range orphans {
		now := e.now()
		due := now
		if hours := e.hours.get(); !hours.Open(due) {
			due = hours.NextOpening(due)
		}
		err := e.store.CreateAbandonedCallback(cctx, AbandonedCall{CallID: o.CallID, Caller: o.Caller, Language: o.Language, Topic: o.Topic, At: o.Started, Due: due})
		if err != nil {
			// The claim lapses and the next sweep tries again.
			e.log.Error("hotline: callback for a call dropped by a dead node failed", "call", o.CallID, "node", o.Node, "err", err)
			continue
		}
		e.log.Warn("hotline: call dropped by a dead node left a callback task", "call", o.CallID, "node", o.Node)
		if err := t.untrackCall(cctx, o.CallID); err != nil {
			e.log.Warn("hotline: orphaned call not removed", "call", o.CallID, "err", err)
		}
	}
}
