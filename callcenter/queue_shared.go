package callcenter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"time"
)

// defaultAgentLease bounds how long an agent stays unreachable after the
// node ringing or bridging it died (HOTLINE_AGENT_LEASE).
const defaultAgentLease = 30 * time.Second

// nodeName names this process in the shared tables: the host name plus a
// random suffix, so a restarted node never renews a dead one's claims.
func nodeName(given string) string {
	if given != "" {
		return given
	}
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

// sharedPool is the part of agentPool used when the nodes share their
// registrations (PostgreSQL). Callers still wait in the memory of the node
// that answered them; the agents are claimed from the database, so a call
// queued on node A rings an agent registered through node B, and no agent
// is rung by two nodes at once. A claim is a lease this node renews: when
// a node dies its agents are free again after AgentLease.
//
// Goroutines: reg, node, lease and log are set before serving and only
// read afterwards; kick is sent to by any goroutine (never blocking) and
// received only by runShared, which alone claims agents for waiters.
// Releases run on the call's goroutine. Waiters stay under agentPool.mu.
type sharedPool struct {
	reg   agentRegistry
	node  string
	lease time.Duration
	log   *slog.Logger
	kick  chan struct{} // capacity 1: "look for agents now"
}

// Waiting callers look for a freed agent this often even without a kick:
// a release on another node is not signalled here.
const sharedPollInterval = 250 * time.Millisecond

// Database calls of the queue give up after this; the poll retries.
const sharedOpTimeout = 5 * time.Second

func (s *sharedPool) kickDispatch() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// runShared dispatches claimed agents to waiting callers and renews this
// node's leases until ctx ends.
func (p *agentPool) runShared(ctx context.Context) {
	s := &p.shared
	renew := time.NewTicker(max(s.lease/3, 100*time.Millisecond))
	defer renew.Stop()
	poll := time.NewTicker(sharedPollInterval)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-renew.C:
			rctx, cancel := context.WithTimeout(ctx, sharedOpTimeout)
			if err := s.reg.renew(rctx, s.node, s.lease); err != nil {
				s.log.Warn("hotline: renewing agent leases failed", "err", err)
			}
			cancel()
			p.sharedSnapshot() // keeps the registered-agents gauge current
			continue
		case <-s.kick:
		case <-poll.C:
		}
		p.dispatchShared(ctx)
	}
}

// dispatchShared gives each waiting caller, oldest first, the agent idle
// the longest that no node holds.
func (p *agentPool) dispatchShared(ctx context.Context) {
	s := &p.shared
	for {
		p.mu.Lock()
		n := len(p.waiters)
		p.mu.Unlock()
		if n == 0 {
			return
		}
		cctx, cancel := context.WithTimeout(ctx, sharedOpTimeout)
		a, ok, err := s.reg.claimAgent(cctx, s.node, s.lease)
		cancel()
		if err != nil {
			s.log.Warn("hotline: claiming an agent failed", "err", err)
			return
		}
		if !ok {
			return
		}
		p.mu.Lock()
		if len(p.waiters) == 0 { // the caller left meanwhile
			p.mu.Unlock()
			p.sharedRelease(a.login, true)
			return
		}
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		w.assigned <- &a // never blocks: one assignment per queue entry
		p.mu.Unlock()
	}
}

func (p *agentPool) sharedRelease(login string, answered bool) {
	ctx, cancel := context.WithTimeout(context.Background(), sharedOpTimeout)
	defer cancel()
	if err := p.shared.reg.releaseAgent(ctx, login, p.shared.node, answered); err != nil {
		// The lease lapses on its own: the agent is free after AgentLease.
		p.shared.log.Warn("hotline: releasing an agent failed", "agent", login, "err", err)
	}
	p.shared.kickDispatch()
}

func (p *agentPool) sharedLeave(w *waiter) {
	p.mu.Lock()
	p.removeLocked(w)
	var a *agent
	select {
	case a = <-w.assigned:
	default:
	}
	p.mu.Unlock()
	if a != nil {
		p.sharedRelease(a.login, true)
	}
}

func (p *agentPool) sharedSnapshot() []AgentStatus {
	ctx, cancel := context.WithTimeout(context.Background(), sharedOpTimeout)
	defer cancel()
	out, err := p.shared.reg.listAgents(ctx)
	if err != nil {
		p.shared.log.Warn("hotline: listing agents failed", "err", err)
		return []AgentStatus{}
	}
	if p.gauge != nil {
		p.gauge.Set(float64(len(out)))
	}
	return out
}

// sharedRegistered counts live registrations of every node. If the
// database cannot say, the callers are not sent to voicemail for that:
// they queue as if an agent were there (the wait still ends).
func (p *agentPool) sharedRegistered() int {
	ctx, cancel := context.WithTimeout(context.Background(), sharedOpTimeout)
	defer cancel()
	out, err := p.shared.reg.listAgents(ctx)
	if err != nil {
		p.shared.log.Warn("hotline: counting agents failed", "err", err)
		return 1
	}
	return len(out)
}
