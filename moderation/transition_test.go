package moderation

import (
	"context"
	"fmt"
	"testing"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
)

// allStatuses are every state an item can be in.
var allStatuses = []string{StatusPending, StatusApproved, StatusInfoRequested, StatusAnswered, StatusRejected, StatusClosed, StatusMerged}

// transitionCase is one action on an item in one state: either the state
// it leads to, or the error code it is refused with.
type transitionCase struct {
	action string
	kind   string // KindQuestion when empty
	label  string // tells apart cases of one action and state
	in     func(f *caseFixture) ActionInput
	// want is the status after an allowed action; code the error of a
	// refused one (exactly one of them is set).
	want, code string
	check      func(t *testing.T, f *caseFixture, in ActionInput, it Item) // more about an allowed action's result
}

// transitionTable lists every action in every state (the item held by the
// acting moderator, so that the lease rules of Act are out of the way),
// plus the refusals that depend on the input or the kind.
func transitionTable() map[string][]transitionCase {
	open := map[string]bool{StatusPending: true, StatusApproved: true, StatusInfoRequested: true}
	table := map[string][]transitionCase{}
	for _, st := range allStatuses {
		ifOpen := func(to string) (string, string) {
			if open[st] {
				if to == "" {
					to = st
				}
				return to, ""
			}
			return "", "not_open"
		}
		var cs []transitionCase
		add := func(c transitionCase) { cs = append(cs, c) }
		none := func(*caseFixture) ActionInput { return ActionInput{} }

		w, c := ifOpen("")
		add(transitionCase{action: ActionClaim, in: none, want: w, code: c})
		add(transitionCase{action: ActionRelease, in: none, want: st, check: func(t *testing.T, f *caseFixture, in ActionInput, it Item) {
			if it.AssigneeID != nil || it.LeaseExpiresAt != nil {
				t.Errorf("released item still held: %v %v", it.AssigneeID, it.LeaseExpiresAt)
			}
		}})
		if st == StatusPending || st == StatusInfoRequested {
			add(transitionCase{action: ActionApprove, in: none, want: StatusApproved})
			add(transitionCase{action: ActionApprove, kind: KindComplaint, in: none, code: "not_publishable"})
			add(transitionCase{action: ActionApprove, kind: KindDenunciation, in: none, code: "not_publishable"})
		} else {
			add(transitionCase{action: ActionApprove, in: none, code: "bad_state"})
		}
		w, c = ifOpen(StatusRejected)
		add(transitionCase{action: ActionReject, in: func(*caseFixture) ActionInput { return ActionInput{Reason: "Trùng lặp"} }, want: w, code: c,
			check: func(t *testing.T, f *caseFixture, in ActionInput, it Item) {
				if it.Reason != "Trùng lặp" || !f.isSet(it.ID, "closed_at") || it.LeaseExpiresAt != nil {
					t.Errorf("rejected item: reason %q closed %v lease %v", it.Reason, f.isSet(it.ID, "closed_at"), it.LeaseExpiresAt)
				}
			}})
		w, c = ifOpen(StatusAnswered)
		add(transitionCase{action: ActionAnswer, in: func(*caseFixture) ActionInput { return ActionInput{Body: "Đã có câu trả lời."} }, want: w, code: c,
			check: func(t *testing.T, f *caseFixture, in ActionInput, it Item) {
				if it.Answer != "Đã có câu trả lời." || it.AnsweredAt == nil || it.FirstResponse == nil {
					t.Errorf("answered item: answer %q answered %v first response %v", it.Answer, it.AnsweredAt, it.FirstResponse)
				}
			}})
		w, c = ifOpen(StatusInfoRequested)
		add(transitionCase{action: ActionRequestInfo, in: func(*caseFixture) ActionInput { return ActionInput{Message: "Xin cho biết xã."} }, want: w, code: c})
		w, c = ifOpen("")
		add(transitionCase{action: ActionRoute, in: func(*caseFixture) ActionInput { return ActionInput{Department: "dan-toc"} }, want: w, code: c,
			check: func(t *testing.T, f *caseFixture, in ActionInput, it Item) {
				if it.Department != "dan-toc" {
					t.Errorf("routed to %q", it.Department)
				}
			}})
		add(transitionCase{action: ActionEscalate, in: func(*caseFixture) ActionInput { return ActionInput{Note: "Cần chỉ đạo"} }, want: w, code: c,
			check: func(t *testing.T, f *caseFixture, in ActionInput, it Item) {
				if !it.Escalated || !f.isSet(it.ID, "escalated_at") {
					t.Errorf("escalated %v, escalated_at set %v", it.Escalated, f.isSet(it.ID, "escalated_at"))
				}
			}})
		w, c = ifOpen(StatusMerged)
		add(transitionCase{action: ActionMerge, in: func(f *caseFixture) ActionInput {
			return ActionInput{Into: f.enqueue(NewItem{Source: SourceForumQuestion}).ID}
		}, want: w, code: c,
			check: func(t *testing.T, f *caseFixture, in ActionInput, it Item) {
				if it.MergedInto == nil || *it.MergedInto != in.Into || !f.isSet(it.ID, "closed_at") {
					t.Errorf("merged into %v, want %d (closed_at set %v)", it.MergedInto, in.Into, f.isSet(it.ID, "closed_at"))
				}
			}})
		if st == StatusClosed {
			add(transitionCase{action: ActionClose, in: none, code: "not_open"})
		} else {
			add(transitionCase{action: ActionClose, in: none, want: StatusClosed})
		}
		add(transitionCase{action: ActionDirective, in: func(*caseFixture) ActionInput { return ActionInput{Note: "Trả lời trong tuần"} }, want: st,
			check: func(t *testing.T, f *caseFixture, in ActionInput, it Item) {
				var n int
				if err := f.svc.pool.QueryRow(context.Background(), `SELECT count(*) FROM directives WHERE item_id = $1 AND note = $2`, it.ID, in.Note).Scan(&n); err != nil || n != 1 {
					t.Errorf("%d directives (%v), want 1", n, err)
				}
			}})
		if open[st] {
			add(transitionCase{action: ActionRoute, in: func(*caseFixture) ActionInput { return ActionInput{Department: "khong-co"} }, code: "unknown_department"})
			add(transitionCase{action: ActionDirective, in: func(*caseFixture) ActionInput { return ActionInput{Note: "x", Department: "khong-co"} }, code: "unknown_department"})
			add(transitionCase{action: ActionMerge, label: "no-such-target", in: func(*caseFixture) ActionInput { return ActionInput{Into: 1 << 40} }, code: "bad_merge"})
			add(transitionCase{action: ActionMerge, label: "target-merged", in: func(f *caseFixture) ActionInput {
				other := f.enqueue(NewItem{Source: SourceForumQuestion})
				target := f.enqueue(NewItem{Source: SourceForumQuestion})
				f.force(other.ID, StatusMerged, &target.ID)
				return ActionInput{Into: other.ID}
			}, code: "bad_merge"})
		}
		table[st] = cs
	}
	return table
}

// force puts item id in status, held by the fixture's moderator.
func (f *caseFixture) force(id int64, status string, mergedInto *int64) {
	f.t.Helper()
	if _, err := f.svc.pool.Exec(context.Background(), `
		UPDATE moderation_items SET status = $2, merged_into = $3, assignee_id = $4, lease_expires_at = now() + interval '10 minutes'
		WHERE id = $1`, id, status, mergedInto, f.mod.ID); err != nil {
		f.t.Fatal(err)
	}
}

// isSet reports whether column col of item id is not null.
func (f *caseFixture) isSet(id int64, col string) bool {
	f.t.Helper()
	var set bool
	if err := f.svc.pool.QueryRow(context.Background(), `SELECT `+col+` IS NOT NULL FROM moderation_items WHERE id = $1`, id).Scan(&set); err != nil {
		f.t.Fatal(err)
	}
	return set
}

// rowState is everything an action could change about item id: its row,
// its audit entries, its directives.
func (f *caseFixture) rowState(id int64) string {
	f.t.Helper()
	var row string
	var audits, directives int
	if err := f.svc.pool.QueryRow(context.Background(), `
		SELECT (SELECT to_jsonb(m)::text FROM moderation_items m WHERE id = $1),
		       (SELECT count(*) FROM moderation_audit WHERE item_id = $1),
		       (SELECT count(*) FROM directives WHERE item_id = $1)`, id).Scan(&row, &audits, &directives); err != nil {
		f.t.Fatal(err)
	}
	return fmt.Sprintf("%s audits=%d directives=%d", row, audits, directives)
}

// TestTransition runs every action on an item in every state, on a real
// database: an allowed action leads to its state and is audited; a refused
// one returns its error and changes nothing (row, audit, directives).
func TestTransition(t *testing.T) {
	t.Parallel()
	f := newCaseFixture(t)
	ctx := context.Background()
	if _, err := f.svc.pool.Exec(ctx, `INSERT INTO departments (slug, name) VALUES ('dan-toc', 'Ban Dân tộc') ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	leader := &identity.User{Login: "lanhdao", Role: identity.RoleLeader}
	if err := f.svc.pool.QueryRow(ctx, `INSERT INTO users (login, role, password_hash) VALUES ('lanhdao', 'leader', 'x') RETURNING id`).Scan(&leader.ID); err != nil {
		t.Fatal(err)
	}
	table := transitionTable()
	runs := 0
	for _, st := range allStatuses {
		for _, c := range table[st] {
			name := fmt.Sprintf("%s/%s", st, c.action)
			for _, x := range []string{c.kind, c.label} {
				if x != "" {
					name += "/" + x
				}
			}
			if c.code != "" {
				name += "/Err" + c.code
			}
			t.Run(name, func(t *testing.T) {
				f.t = t
				runs++
				it := f.enqueue(NewItem{Source: SourceForumQuestion, Kind: c.kind})
				var merged *int64
				if st == StatusMerged {
					target := f.enqueue(NewItem{Source: SourceForumQuestion})
					merged = &target.ID
				}
				f.force(it.ID, st, merged)
				in := c.in(f)
				actor := f.mod
				if c.action == ActionDirective {
					actor = leader
				}
				before := f.rowState(it.ID)
				got, err := f.svc.Act(ctx, actor, it.ID, c.action, in)
				if c.code != "" {
					if apperr.As(err).Code != c.code {
						t.Fatalf("error %v, want code %s", err, c.code)
					}
					if after := f.rowState(it.ID); after != before {
						t.Fatalf("a refused action changed the item:\nbefore %s\nafter  %s", before, after)
					}
					return
				}
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got.Status != c.want {
					t.Fatalf("status %s, want %s", got.Status, c.want)
				}
				var after int
				if err := f.svc.pool.QueryRow(ctx, `SELECT count(*) FROM moderation_audit WHERE item_id = $1 AND action = $2`, it.ID, c.action).Scan(&after); err != nil || after != 1 {
					t.Fatalf("%d audit entries for %s (%v), want 1", after, c.action, err)
				}
				if c.check != nil {
					c.check(t, f, in, got)
				}
			})
		}
	}
	if want := len(allStatuses) * 11; runs < want {
		t.Fatalf("%d cases ran, want at least %d (every action in every state)", runs, want)
	}
}
