package callcenter

import (
	"context"
	"slices"
)

// Calls bridged to an operator are listed in the shared registry too, so
// the /hotline desk of every node shows them (with the form, whose notes
// are in PostgreSQL anyway), not only the node bridging the call.

// shareLive publishes a bridged call. A failure only hides the call from
// other nodes' desks: the call and its ticket go on.
func (e *engine) shareLive(lc LiveCall) {
	s := e.agents.shared
	if s.reg == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedOpTimeout)
	defer cancel()
	if err := s.reg.putLiveCall(ctx, s.node, lc, s.lease); err != nil {
		e.log.Warn("hotline: live call not shared", "call", lc.CallID, "err", err)
	}
}

func (e *engine) unshareLive(callID string) {
	s := e.agents.shared
	if s.reg == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedOpTimeout)
	defer cancel()
	if err := s.reg.deleteLiveCall(ctx, callID); err != nil {
		// Its lease lapses: other desks drop it after AgentLease.
		e.log.Warn("hotline: live call not unshared", "call", callID, "err", err)
	}
}

// deskLiveCalls lists the calls bridged on every node, longest first;
// this node's own calls are listed even when the database cannot answer.
func (e *engine) deskLiveCalls(ctx context.Context) []LiveCall {
	own := e.liveCalls()
	s := e.agents.shared
	if s.reg == nil {
		return own
	}
	all, err := s.reg.listLiveCalls(ctx)
	if err != nil {
		e.log.Warn("hotline: listing shared live calls failed", "err", err)
		return own
	}
	for _, lc := range own {
		if !slices.ContainsFunc(all, func(x LiveCall) bool { return x.CallID == lc.CallID }) {
			all = append(all, lc)
		}
	}
	slices.SortStableFunc(all, func(a, b LiveCall) int { return a.Since.Compare(b.Since) })
	return all
}

// liveAnywhere reports whether a call is bridged on this or another node.
func (e *engine) liveAnywhere(ctx context.Context, callID string) (bool, error) {
	if e.isLive(callID) {
		return true, nil
	}
	if e.agents.shared.reg == nil {
		return false, nil
	}
	return e.agents.shared.reg.liveCallExists(ctx, callID)
}
