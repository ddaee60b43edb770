package moderation

import (
	"context"
	"fmt"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// sqlExpr is a literal SQL expression in an update (e.g. now()).
type sqlExpr string

// update is the set of columns an action changes.
type update struct {
	cols []string
	vals []any
}

func (u *update) set(col string, v any) { u.cols = append(u.cols, col); u.vals = append(u.vals, v) }

// finish records the moderator's first response and drops the claim's
// lease (the assignee stays, as who handled it).
func (u *update) finish(it Item) {
	if it.FirstResponse == nil {
		u.set("first_response_at", sqlExpr("now()"))
	}
	u.set("lease_expires_at", nil)
}

// transition checks that action fits the item's state and returns the
// columns it changes and the text handed to the channel.
func (s *Service) transition(ctx context.Context, tx pgx.Tx, it Item, actorID int64, action string, in ActionInput) (update, string, error) {
	var u update
	open := it.Open()
	switch action {
	case ActionClaim:
		u.set("assignee_id", sqlExpr("$actor"))
		u.set("lease_expires_at", sqlExpr("now() + '"+s.Lease.String()+"'::interval"))
		return u, "", nil
	case ActionRelease:
		u.set("assignee_id", nil)
		u.set("lease_expires_at", nil)
		return u, "", nil
	case ActionApprove:
		if it.Status != StatusPending && it.Status != StatusInfoRequested {
			return u, "", apperr.Conflictf("bad_state", "only a pending item can be approved (it is %s)", it.Status)
		}
		if it.Kind == KindComplaint || it.Kind == KindDenunciation {
			return u, "", apperr.Conflictf("not_publishable", "complaints and denunciations are never published; route them instead")
		}
		u.set("status", StatusApproved)
		if it.FirstResponse == nil {
			u.set("first_response_at", sqlExpr("now()"))
		}
		return u, "", nil
	case ActionReject:
		if !open {
			return u, "", errClosed
		}
		u.set("status", StatusRejected)
		u.set("reason", in.Reason)
		u.set("closed_at", sqlExpr("now()"))
		u.finish(it)
		return u, in.Reason, nil
	case ActionAnswer:
		if !open {
			return u, "", errClosed
		}
		u.set("status", StatusAnswered)
		u.set("answer", in.Body)
		u.set("answered_at", sqlExpr("now()"))
		u.finish(it)
		return u, in.Body, nil
	case ActionRequestInfo:
		if !open {
			return u, "", errClosed
		}
		u.set("status", StatusInfoRequested)
		u.set("reason", in.Message)
		u.finish(it)
		return u, in.Message, nil
	case ActionRoute:
		if !open {
			return u, "", errClosed
		}
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT true FROM departments WHERE slug = $1`, in.Department).Scan(&ok); err != nil {
			return u, "", apperr.Invalidf("unknown_department", "no department %q", in.Department)
		}
		u.set("department", in.Department)
		return u, in.Department, nil
	case ActionEscalate:
		if !open {
			return u, "", errClosed
		}
		u.set("escalated", true)
		u.set("escalated_at", sqlExpr("now()"))
		return u, in.Note, nil
	case ActionMerge:
		if !open {
			return u, "", errClosed
		}
		if in.Into == it.ID {
			return u, "", apperr.Invalidf("bad_merge", "an item cannot be merged into itself")
		}
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM moderation_items WHERE id = $1`, in.Into).Scan(&status); err != nil {
			return u, "", apperr.Invalidf("bad_merge", "no item %d to merge into", in.Into)
		}
		if status == StatusMerged {
			return u, "", apperr.Invalidf("bad_merge", "item %d is itself merged; merge into the item it points to", in.Into)
		}
		u.set("status", StatusMerged)
		u.set("merged_into", in.Into)
		u.set("closed_at", sqlExpr("now()"))
		u.finish(it)
		return u, fmt.Sprint(in.Into), nil
	case ActionClose:
		if it.Status == StatusClosed {
			return u, "", errClosed
		}
		u.set("status", StatusClosed)
		u.set("closed_at", sqlExpr("now()"))
		u.finish(it)
		return u, "", nil
	case ActionDirective:
		var dept *string
		if in.Department != "" {
			dept = &in.Department
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT true FROM departments WHERE slug = $1`, in.Department).Scan(&ok); err != nil {
				return u, "", apperr.Invalidf("unknown_department", "no department %q", in.Department)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO directives (item_id, leader_id, note, department, deadline) VALUES ($1, $2, $3, $4, $5)`,
			it.ID, actorID, in.Note, dept, in.Deadline); err != nil {
			return u, "", err
		}
		return u, in.Note, nil
	}
	return u, "", apperr.NotFoundf("unknown action %q", action)
}

func (s *Service) applyUpdate(ctx context.Context, tx pgx.Tx, id, actorID int64, action string, u update) error {
	sets := []string{"updated_at = now()"}
	args := []any{id, actorID}
	for i, c := range u.cols {
		switch v := u.vals[i].(type) {
		case sqlExpr:
			sets = append(sets, c+" = "+strings.ReplaceAll(string(v), "$actor", "$2"))
		default:
			args = append(args, v)
			sets = append(sets, fmt.Sprintf("%s = $%d", c, len(args)))
		}
	}
	_, err := tx.Exec(ctx, `UPDATE moderation_items SET `+strings.Join(sets, ", ")+` WHERE id = $1 AND $2::bigint IS NOT NULL`, args...)
	return err
}
