package moderation

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/jackc/pgx/v5"
)

// Actions, as named in the API path /api/v1/moderation/items/{id}/{action}.
const (
	ActionClaim       = "claim"
	ActionRelease     = "release"
	ActionApprove     = "approve"
	ActionReject      = "reject"
	ActionAnswer      = "answer"
	ActionRequestInfo = "request-info"
	ActionRoute       = "route"
	ActionEscalate    = "escalate"
	ActionMerge       = "merge"
	ActionClose       = "close"
	ActionDirective   = "directive"
)

// ActionInput carries an action's parameters (which ones depends on the action).
type ActionInput struct {
	Reason     string     `json:"reason"`
	Body       string     `json:"body"`
	Message    string     `json:"message"`
	Department string     `json:"department"`
	Note       string     `json:"note"`
	Into       int64      `json:"into"`
	Deadline   *time.Time `json:"deadline"`
}

// MaxAnswerLen bounds answers and notes (runes).
const MaxAnswerLen = 20000

var (
	errNotHeld = apperr.Conflictf("not_held", "claim this item first: you do not hold it")
	errHeld    = apperr.Conflictf("held", "another moderator holds this item")
	errClosed  = apperr.Conflictf("not_open", "this item is no longer open")
)

func errForbiddenRole() error { return apperr.Forbiddenf("your role may not do this") }

// ClaimNext gives actor the most urgent unclaimed item, or (Item{}, false)
// when nothing waits. SKIP LOCKED lets many moderators claim at once
// without waiting on each other and without ever taking the same item.
// Claim and audit entry are one statement, so a claim is one round trip
// and its row lock lasts only that statement; the consoles' "claimed"
// event is sent after it commits, batched with other claims' (afterCommit).
func (s *Service) ClaimNext(ctx context.Context, actor *identity.User) (Item, bool, error) {
	if !actor.IsStaff() {
		return Item{}, false, errForbiddenRole()
	}
	rows, err := s.pool.Query(ctx, `
		WITH i AS (
			UPDATE moderation_items SET assignee_id = $1, lease_expires_at = now() + $2::interval, updated_at = now()
			WHERE id = (SELECT id FROM moderation_items
			            WHERE status IN ('pending', 'approved') AND assignee_id IS NULL
			            ORDER BY priority DESC, due_at, id
			            LIMIT 1 FOR UPDATE SKIP LOCKED)
			RETURNING *
		), audit AS (
			INSERT INTO moderation_audit (item_id, actor_id, action, after)
			SELECT id, $1, $3, jsonb_strip_nulls(jsonb_build_object('status', status, 'assignee_id', assignee_id,
				'department', nullif(department, ''), 'escalated', nullif(escalated, false), 'merged_into', merged_into, 'priority', priority))
			FROM i
		)
		SELECT `+itemColumns+` FROM i LEFT JOIN users u ON u.id = i.assignee_id`, actor.ID, s.Lease.String(), ActionClaim)
	if err != nil {
		return Item{}, false, err
	}
	items, err := pgx.CollectRows(rows, scanItem)
	if err != nil || len(items) == 0 {
		return Item{}, false, err
	}
	// Committed: the consoles hear of it after, with other claims' events
	// (a NOTIFY in the claim would serialise the claims' commits).
	it := items[0]
	s.claimed.queue(Event{ID: it.ID, Event: "claimed", Status: it.Status, Source: it.Source})
	return it, true, nil
}

// Act performs action on item id for actor. Claiming is a lease: acting on
// an item someone else holds, or that you do not hold, is a Conflict, and
// so is an action the item's state does not allow; NotFound when there is
// no item id or no such action. The channel's handler runs in the same
// transaction, so a decision reaches the channel exactly when it is
// recorded.
func (s *Service) Act(ctx context.Context, actor *identity.User, id int64, action string, in ActionInput) (_ Item, err error) {
	defer apperr.Wrap(&err, "moderation.Service.Act(%d, %q)", id, action)
	if err := s.allowed(actor, action); err != nil {
		return Item{}, err
	}
	if err := validateInput(action, &in); err != nil {
		return Item{}, err
	}
	// A deadline already past would be overdue the moment it is given.
	if action == ActionDirective && in.Deadline != nil && in.Deadline.Before(s.now()) {
		return Item{}, apperr.Invalidf("deadline_past", "a directive's deadline must be in the future")
	}
	var out Item
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		it, err := findItem(ctx, tx, `i.id = $1 FOR UPDATE OF i`, id)
		if err != nil {
			return err
		}
		now := s.now()
		before := snapshot(it)
		held := it.HeldBy(actor.ID, now)
		heldByOther := it.AssigneeID != nil && *it.AssigneeID != actor.ID && it.LeaseExpiresAt != nil && it.LeaseExpiresAt.After(now)
		switch action {
		case ActionClaim:
			if !it.Open() {
				return errClosed
			}
			if heldByOther {
				return errHeld
			}
		case ActionRelease:
			if !held {
				return errNotHeld
			}
		case ActionDirective:
			// A leader directs without claiming; the holder keeps working.
		default:
			if !held {
				if heldByOther {
					return errHeld
				}
				return errNotHeld
			}
		}
		set, body, err := s.transition(ctx, tx, it, actor.ID, action, in)
		if err != nil {
			return err
		}
		if err := s.applyUpdate(ctx, tx, id, actor.ID, action, set); err != nil {
			return err
		}
		if out, err = findItem(ctx, tx, `i.id = $1`, id); err != nil {
			return err
		}
		note := firstNonEmpty(in.Reason, in.Message, in.Note, in.Department)
		if action == ActionAnswer {
			note = in.Body
		}
		if err := appendAudit(ctx, tx, id, &actor.ID, action, note, before, snapshot(out)); err != nil {
			return err
		}
		if ev, ok := actionEvents[action]; ok {
			if err := s.record(ctx, tx, ev, out, body); err != nil {
				return err
			}
		}
		if err := s.tellMergedAskers(ctx, tx, action, out, in.Into, body); err != nil {
			return err
		}
		if action == ActionAnswer {
			if err := s.phoneAnswered(ctx, tx, out, body, actor.ID); err != nil {
				return err
			}
		}
		if action == ActionEscalate {
			if err := s.tellEscalated(ctx, tx, out); err != nil {
				return err
			}
		}
		if h, ok := s.handlers[it.Source]; ok && action != ActionClaim && action != ActionRelease {
			d := Decision{Item: out, Action: action, Body: body, ActorID: actor.ID}
			if action == ActionMerge {
				target, err := findItem(ctx, tx, `i.id = $1`, in.Into)
				if err != nil {
					return err
				}
				d.Target = &target
			}
			if err := h.Apply(ctx, tx, d); err != nil {
				return err
			}
		}
		return notify(ctx, tx, out, action)
	})
	return out, err
}

func (s *Service) allowed(actor *identity.User, action string) error {
	if actor == nil {
		return &apperr.Error{Kind: apperr.Unauthorized, Code: "login_required", Message: "log in first"}
	}
	switch action {
	case ActionDirective:
		if actor.Role != identity.RoleLeader {
			return apperr.Forbiddenf("only leaders give directives")
		}
	case ActionClaim, ActionRelease, ActionApprove, ActionReject, ActionAnswer, ActionRequestInfo,
		ActionRoute, ActionEscalate, ActionMerge, ActionClose:
		if !actor.IsStaff() {
			return errForbiddenRole()
		}
	default:
		return apperr.NotFoundf("unknown action %q", action)
	}
	return nil
}

func validateInput(action string, in *ActionInput) error {
	for _, p := range []*string{&in.Reason, &in.Body, &in.Message, &in.Department, &in.Note} {
		*p = strings.TrimSpace(*p)
		if !utf8.ValidString(*p) {
			return apperr.Invalidf("invalid_utf8", "text is not valid UTF-8")
		}
		if utf8.RuneCountInString(*p) > MaxAnswerLen {
			return apperr.Invalidf("too_long", "text is longer than %d characters", MaxAnswerLen)
		}
	}
	required := map[string]struct {
		val  string
		code string
	}{
		ActionReject:      {in.Reason, "reason_required"},
		ActionAnswer:      {in.Body, "body_required"},
		ActionRequestInfo: {in.Message, "message_required"},
		ActionRoute:       {in.Department, "department_required"},
		ActionDirective:   {in.Note, "note_required"},
	}
	if r, ok := required[action]; ok && r.val == "" {
		return apperr.Invalidf(r.code, "%s needs %s", action, strings.TrimSuffix(r.code, "_required"))
	}
	if action == ActionMerge && in.Into <= 0 {
		return apperr.Invalidf("into_required", "merge needs the id of the item to merge into")
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
