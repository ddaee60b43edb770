package callcenter

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
)

// agentPool holds registered agents and callers waiting for one, and pairs
// them: the longest-waiting caller gets the agent idle the longest. All
// fields are guarded by mu; a waiter learns of its agent on assigned.
type agentPool struct {
	now   func() time.Time
	gauge prometheus.Gauge

	// With shared set (every node on one database, queue_shared.go) the
	// agents to ring come from there; agents then only lists the phones
	// registered through this node (for their TCP connections).
	shared sharedPool

	mu      sync.Mutex
	agents  map[string]*agent // by login; the latest REGISTER wins
	waiters []*waiter         // FIFO, head is next
}

// agent is one registered SIP phone.
type agent struct {
	login     string
	contact   sip.Uri  // from REGISTER Contact
	dest      string   // REGISTER source ip:port: where INVITEs go (NAT, TCP reuse)
	transport string   // UDP or TCP
	path      []string // Path URIs an edge added (RFC 3327): INVITEs go through it
	expires   time.Time

	busy      bool      // ringing or bridged
	idleSince time.Time // for longest-idle-first
	skipUntil time.Time // after ringing unanswered, leave it alone a while
}

type waiter struct {
	c        *call
	assigned chan *agent // capacity 1; written under mu
}

// After an agent lets a call ring out it is skipped this long, so the
// caller is offered to someone else instead of ringing the same phone.
const agentNoAnswerBackoff = 30 * time.Second

func newAgentPool(now func() time.Time, gauge prometheus.Gauge) *agentPool {
	return &agentPool{now: now, gauge: gauge, agents: map[string]*agent{}}
}

// register adds or refreshes an agent's registration.
func (p *agentPool) register(a agent) error {
	if p.shared.reg != nil {
		if err := p.shared.reg.saveRegistration(context.Background(), a, p.shared.node); err != nil {
			return err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old := p.agents[a.login]; old != nil {
		a.busy, a.idleSince, a.skipUntil = old.busy, old.idleSince, old.skipUntil
	} else {
		a.idleSince = p.now()
	}
	p.agents[a.login] = &a
	p.dispatchLocked()
	return nil
}

func (p *agentPool) unregister(login string) error {
	if p.shared.reg != nil {
		if err := p.shared.reg.deleteRegistration(context.Background(), login); err != nil {
			return err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.agents, login)
	p.updateGaugeLocked()
	return nil
}

// registered counts agents with a live registration.
func (p *agentPool) registered() int {
	if p.shared.reg != nil {
		return p.sharedRegistered()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expireLocked()
	return len(p.agents)
}

// enter queues a caller at the back.
func (p *agentPool) enter(c *call) *waiter {
	w := &waiter{c: c, assigned: make(chan *agent, 1)}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.waiters = append(p.waiters, w)
	p.dispatchLocked()
	return w
}

// requeue puts a caller whose agent did not answer back at the front.
func (p *agentPool) requeue(w *waiter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.waiters = append([]*waiter{w}, p.waiters...)
	p.dispatchLocked()
}

// leave removes a caller from the queue; an agent assigned but not yet
// taken is handed back.
func (p *agentPool) leave(w *waiter) {
	if p.shared.reg != nil {
		p.sharedLeave(w)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.removeLocked(w)
	select {
	case a := <-w.assigned:
		p.releaseLocked(a.login, true)
	default:
	}
	p.dispatchLocked()
}

// position is the caller's 1-based place in the queue (0 if not queued).
func (p *agentPool) position(w *waiter) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.waiters {
		if x == w {
			return i + 1
		}
	}
	return 0
}

// release frees an agent after a call; answered=false starts its back-off.
func (p *agentPool) release(login string, answered bool) {
	if p.shared.reg != nil {
		p.sharedRelease(login, answered)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.releaseLocked(login, answered)
	p.dispatchLocked()
}

func (p *agentPool) releaseLocked(login string, answered bool) {
	a := p.agents[login]
	if a == nil {
		return
	}
	a.busy = false
	a.idleSince = p.now()
	if !answered {
		a.skipUntil = p.now().Add(agentNoAnswerBackoff)
	}
}

// tick expires registrations and retries dispatch (back-offs end).
func (p *agentPool) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dispatchLocked()
}

func (p *agentPool) removeLocked(w *waiter) {
	for i, x := range p.waiters {
		if x == w {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			return
		}
	}
}

func (p *agentPool) expireLocked() {
	now := p.now()
	for login, a := range p.agents {
		if now.After(a.expires) && !a.busy {
			delete(p.agents, login)
		}
	}
	p.updateGaugeLocked()
}

func (p *agentPool) updateGaugeLocked() {
	// Shared: the gauge counts every node's agents (set by sharedSnapshot).
	if p.gauge != nil && p.shared.reg == nil {
		p.gauge.Set(float64(len(p.agents)))
	}
}

func (p *agentPool) dispatchLocked() {
	p.expireLocked()
	if p.shared.reg != nil {
		p.shared.kickDispatch()
		return
	}
	now := p.now()
	for len(p.waiters) > 0 {
		var best *agent
		for _, a := range p.agents {
			if a.busy || now.Before(a.skipUntil) {
				continue
			}
			if best == nil || a.idleSince.Before(best.idleSince) {
				best = a
			}
		}
		if best == nil {
			return
		}
		best.busy = true
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		w.assigned <- best // never blocks: one assignment per queue entry
	}
}

// AgentStatus is a registration as the API shows it.
type AgentStatus struct {
	Login   string    `json:"login"`
	Busy    bool      `json:"busy"`
	Expires time.Time `json:"expires"`
}

func (p *agentPool) snapshot() []AgentStatus {
	if p.shared.reg != nil {
		return p.sharedSnapshot()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expireLocked()
	out := make([]AgentStatus, 0, len(p.agents))
	for _, a := range p.agents {
		out = append(out, AgentStatus{Login: a.login, Busy: a.busy, Expires: a.expires})
	}
	slices.SortFunc(out, func(a, b AgentStatus) int { return strings.Compare(a.Login, b.Login) })
	return out
}
