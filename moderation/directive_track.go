package moderation

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/jackc/pgx/v5"
)

// Actions recorded by directive tracking and the leader's review.
const (
	ActionDirectiveDone = "directive_done"
	ActionSignOff       = "sign_off"
)

func cleanNote(note string) (string, error) {
	note = strings.TrimSpace(note)
	if !utf8.ValidString(note) {
		return "", apperr.Invalidf("invalid_utf8", "text is not valid UTF-8")
	}
	if utf8.RuneCountInString(note) > MaxAnswerLen {
		return "", apperr.Invalidf("too_long", "text is longer than %d characters", MaxAnswerLen)
	}
	return note, nil
}

// CompleteDirective marks directive id done, by a moderator, leader or
// admin, with an optional note on what was done. The item's audit log gets
// "directive_done". A directive already done is a Conflict; NotFound when
// there is no directive id.
func (s *Service) CompleteDirective(ctx context.Context, actor *identity.User, id int64, note string) (_ Directive, err error) {
	defer apperr.Wrap(&err, "moderation.Service.CompleteDirective(%d)", id)
	if actor == nil {
		return Directive{}, &apperr.Error{Kind: apperr.Unauthorized, Code: "login_required", Message: "log in first"}
	}
	if !actor.IsStaff() {
		return Directive{}, errForbiddenRole()
	}
	note, err = cleanNote(note)
	if err != nil {
		return Directive{}, err
	}
	var out Directive
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var itemID int64
		var status string
		err := tx.QueryRow(ctx, `SELECT item_id, status FROM directives WHERE id = $1 FOR UPDATE`, id).Scan(&itemID, &status)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("no such directive")
		}
		if err != nil {
			return err
		}
		if status != "open" {
			return apperr.Conflictf("directive_done", "this directive is already done")
		}
		if _, err := tx.Exec(ctx, `UPDATE directives SET status = 'done', done_at = now(), done_by = $2, done_note = $3 WHERE id = $1`,
			id, actor.ID, note); err != nil {
			return err
		}
		it, err := findItem(ctx, tx, `i.id = $1`, itemID)
		if err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, itemID, &actor.ID, ActionDirectiveDone, note, map[string]any{"directive_id": id, "status": "open"},
			map[string]any{"directive_id": id, "status": "done"}); err != nil {
			return err
		}
		if err := notify(ctx, tx, it, ActionDirectiveDone); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT d.id, d.item_id, u.login, coalesce(nullif(u.display_name, ''), u.login), d.note, coalesce(d.department, ''),
				to_char(d.deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), d.status,
				to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
			FROM directives d JOIN users u ON u.id = d.leader_id WHERE d.id = $1`, id)
		if err != nil {
			return err
		}
		out, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Directive])
		return err
	})
	return out, err
}

// SignOff records a leader's sign-off on an item: the leader has read it
// and accepts how it was handled. It takes the item out of the escalated
// inbox until it is escalated again, and is written to the audit log as
// "sign_off". Leaders only.
func (s *Service) SignOff(ctx context.Context, actor *identity.User, id int64, note string) (_ Item, err error) {
	defer apperr.Wrap(&err, "moderation.Service.SignOff(%d)", id)
	if actor == nil {
		return Item{}, &apperr.Error{Kind: apperr.Unauthorized, Code: "login_required", Message: "log in first"}
	}
	if actor.Role != identity.RoleLeader {
		return Item{}, apperr.Forbiddenf("only leaders sign off")
	}
	note, err = cleanNote(note)
	if err != nil {
		return Item{}, err
	}
	var out Item
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		it, err := findItem(ctx, tx, `i.id = $1 FOR UPDATE OF i`, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE moderation_items SET signed_off_at = now(), signed_off_by = $2, updated_at = now() WHERE id = $1`,
			id, actor.ID); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, id, &actor.ID, ActionSignOff, note, snapshot(it), snapshot(it)); err != nil {
			return err
		}
		out = it
		return notify(ctx, tx, it, ActionSignOff)
	})
	return out, err
}
