package callcenter

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/jackc/pgx/v5"
)

// trackedRow reads a call's row in hotline_calls_in_progress; ok is false
// when there is none.
func trackedRow(t *testing.T, reg pgRegistry, callID string) (c trackedCall, renewed, ok bool) {
	t.Helper()
	err := reg.pool.QueryRow(context.Background(), `
SELECT node, caller, language, lease_until > now() FROM hotline_calls_in_progress WHERE call_id = $1`, callID).Scan(&c.Node, &c.Caller, &c.Language, &renewed)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, false, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return c, renewed, true
}

// waitTracked polls until cond holds for the call's row (or its absence).
func waitTracked(t *testing.T, reg pgRegistry, callID, what string, cond func(c trackedCall, ok bool) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, _, ok := trackedRow(t, reg, callID)
		if cond(c, ok) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("call %s: %s not seen in 10 s (row %+v, present %v)", callID, what, c, ok)
		}
	}
}

// A call answered on a node is recorded (number, language as chosen)
// while it lasts and removed when it ends; a row left by a node that died
// (its lease lapsed) becomes a callback task on a surviving node, in the
// caller's language, and is gone, while the survivor's own call, renewed,
// is not taken for orphaned.
func TestOrphanedCallBecomesCallback(t *testing.T) {
	reg := pgRegistry{testenv.NewDB(t)}
	cfg := sharedConfig(t)
	cfg.DigitTimeout = 20 * time.Second // the caller stays in the topic menu
	b := startSharedNode(t, cfg, reg, "node-b")

	caller := newPhone(t, "0977000123")
	caller.mustCall(b.addr, "1022", "udp")
	callID := caller.dlg.InviteRequest.CallID().Value()
	caller.press("2")
	b.recordSteps().wait(t, caller, "lang:2:en")
	waitTracked(t, reg, callID, "the row in English", func(c trackedCall, ok bool) bool {
		return ok && c.Node == "node-b" && c.Caller == "+84977000123" && c.Language == "en"
	})

	// A node killed mid-call left this; its lease ran out long ago.
	started := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	dead := trackedCall{CallID: "dead-call-1", Node: "node-dead", Caller: "+84977000999", Hotline: "1022", Language: "en", Topic: "land", Started: started}
	if err := reg.trackCall(context.Background(), dead, -time.Minute); err != nil {
		t.Fatal(err)
	}
	waitTracked(t, reg, dead.CallID, "the orphan removed", func(_ trackedCall, ok bool) bool { return !ok })
	b.store.mu.Lock()
	abandoned := append([]AbandonedCall(nil), b.store.Abandoned...)
	b.store.mu.Unlock()
	if len(abandoned) != 1 {
		t.Fatalf("callback tasks %+v, want one for the dead node's caller", abandoned)
	}
	if a := abandoned[0]; a.CallID != dead.CallID || a.Caller != dead.Caller || a.Language != "en" || a.Topic != "land" || !a.At.Equal(started) {
		t.Fatalf("callback task %+v, want the dead node's call %+v", a, dead)
	}
	if _, renewed, ok := trackedRow(t, reg, callID); !ok || !renewed {
		t.Fatalf("the survivor's own call: row present %v, lease renewed %v", ok, renewed)
	}

	caller.hangup()
	waitTracked(t, reg, callID, "the row removed after the hang-up", func(_ trackedCall, ok bool) bool { return !ok })
	b.waitCDRs(t, 1)
	b.store.mu.Lock()
	defer b.store.mu.Unlock()
	if len(b.store.Abandoned) != 1 {
		t.Fatalf("a call that ended normally left a callback task: %+v", b.store.Abandoned)
	}
}
