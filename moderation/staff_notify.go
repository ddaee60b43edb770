package moderation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/contact"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/jackc/pgx/v5"
)

// Events told to staff (moderation/notify renders and sends them through
// the citizens' outbox, marked for staff).
const (
	EventEscalated        = "escalated"         // to the leaders (and the item's department)
	EventDirectiveDue     = "directive_due"     // a day before the deadline
	EventDirectiveOverdue = "directive_overdue" // once the deadline passed
)

// directiveRemindBefore is how long before its deadline a directive's
// responsible staff are reminded.
const directiveRemindBefore = 24 * time.Hour

// StaffContact is where one member of staff (or a department) is told:
// the account's e-mail address when it has one, else its phone (its phone
// login or phone field, E.164).
type StaffContact struct {
	Email string
	Phone string
}

// StaffEvent is something staff are told of.
type StaffEvent struct {
	Event string
	Item  Item
	Text  string    // the directive's note
	Due   time.Time // the directive's deadline
	// Key tells apart events of one kind on one item (the directive id):
	// with the event, item and recipient it is the idempotency key, so
	// each is recorded once whatever the number of nodes and runs.
	Key string
	To  []StaffContact
}

// StaffOutbox is implemented by outboxes that also tell staff
// (moderation/notify's); the queue calls it in the transaction of the
// change, like Outbox.Record.
type StaffOutbox interface {
	RecordStaff(ctx context.Context, tx pgx.Tx, ev StaffEvent) error
}

// tellStaff hands ev to the outbox when it tells staff and ev has someone to tell.
func (s *Service) tellStaff(ctx context.Context, tx pgx.Tx, ev StaffEvent) error {
	so, ok := s.Outbox.(StaffOutbox)
	if !ok || len(ev.To) == 0 {
		return nil
	}
	if err := so.RecordStaff(ctx, tx, ev); err != nil {
		return fmt.Errorf("moderation.tellStaff %s: %w", ev.Event, err)
	}
	return nil
}

// staffContacts reads the contacts of the active users the query's rows
// name (id, login, phone, email).
func staffContacts(ctx context.Context, q db.Querier, sql string, args ...any) ([]StaffContact, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	type user struct {
		Login string
		Phone *string
		Email *string
	}
	users, err := pgx.CollectRows(rows, pgx.RowToStructByPos[user])
	if err != nil {
		return nil, err
	}
	var out []StaffContact
	for _, u := range users {
		var c StaffContact
		if u.Email != nil {
			c.Email, _ = contact.Email(*u.Email)
		}
		if c.Email == "" {
			if u.Phone != nil {
				c.Phone, _ = contact.Phone(*u.Phone)
			}
			if c.Phone == "" {
				c.Phone, _ = contact.Phone(u.Login)
			}
		}
		if c.Email != "" || c.Phone != "" {
			out = append(out, c)
		}
	}
	return out, nil
}

// departmentContact is the department's e-mail address, if it has one.
func departmentContact(ctx context.Context, q db.Querier, slug string) ([]StaffContact, error) {
	if slug == "" {
		return nil, nil
	}
	var email string
	err := q.QueryRow(ctx, `SELECT email FROM departments WHERE slug = $1`, slug).Scan(&email)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	if e, err := contact.Email(email); err == nil {
		return []StaffContact{{Email: e}}, nil
	}
	return nil, nil
}

// tellEscalated tells the leaders, and the item's department when it has
// an address, that it was escalated.
func (s *Service) tellEscalated(ctx context.Context, tx pgx.Tx, it Item) error {
	to, err := staffContacts(ctx, tx, `SELECT login, phone, email FROM users WHERE role = 'leader' AND NOT disabled ORDER BY id`)
	if err != nil {
		return fmt.Errorf("moderation.tellEscalated: %w", err)
	}
	dept, err := departmentContact(ctx, tx, it.Department)
	if err != nil {
		return fmt.Errorf("moderation.tellEscalated: %w", err)
	}
	// Each escalation is told once: a second one (after a directive ran
	// late) counts again.
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM moderation_audit WHERE item_id = $1 AND action IN ('escalate', 'directive_overdue')`, it.ID).Scan(&n); err != nil {
		return fmt.Errorf("moderation.tellEscalated: %w", err)
	}
	return s.tellStaff(ctx, tx, StaffEvent{Event: EventEscalated, Item: it, Key: strconv.Itoa(n), To: append(dept, to...)})
}

// tellDirective tells those responsible for directive d on item it: the
// directive's department when it has an address, else the item's
// assignee, else the leader who gave it.
func (s *Service) tellDirective(ctx context.Context, tx pgx.Tx, event string, it Item, directiveID int64) error {
	var note string
	var dept *string
	var deadline *time.Time
	var leaderID int64
	if err := tx.QueryRow(ctx, `SELECT note, department, deadline, leader_id FROM directives WHERE id = $1`, directiveID).
		Scan(&note, &dept, &deadline, &leaderID); err != nil {
		return fmt.Errorf("moderation.tellDirective: %w", err)
	}
	var to []StaffContact
	var err error
	if dept != nil {
		if to, err = departmentContact(ctx, tx, *dept); err != nil {
			return fmt.Errorf("moderation.tellDirective: %w", err)
		}
	}
	if len(to) == 0 && it.AssigneeID != nil {
		if to, err = staffContacts(ctx, tx, `SELECT login, phone, email FROM users WHERE id = $1 AND NOT disabled`, *it.AssigneeID); err != nil {
			return fmt.Errorf("moderation.tellDirective: %w", err)
		}
	}
	if len(to) == 0 {
		if to, err = staffContacts(ctx, tx, `SELECT login, phone, email FROM users WHERE id = $1 AND NOT disabled`, leaderID); err != nil {
			return fmt.Errorf("moderation.tellDirective: %w", err)
		}
	}
	ev := StaffEvent{Event: event, Item: it, Text: note, Key: strconv.FormatInt(directiveID, 10), To: to}
	if deadline != nil {
		ev.Due = *deadline
	}
	return s.tellStaff(ctx, tx, ev)
}

// RemindDirectivesDue tells the responsible staff of up to limit open
// directives whose deadline is less than a day away, once each (the row
// remembers it; SKIP LOCKED shares the work between nodes). It returns
// how many it reminded.
func (s *Service) RemindDirectivesDue(ctx context.Context, limit int) (_ int, err error) {
	defer apperr.Wrap(&err, "moderation.Service.RemindDirectivesDue")
	n := 0
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		rows, err := tx.Query(ctx, `
			UPDATE directives SET reminded_at = now()
			WHERE id IN (SELECT id FROM directives
			             WHERE status = 'open' AND reminded_at IS NULL AND deadline >= $1 AND deadline < $2
			             ORDER BY deadline LIMIT $3 FOR UPDATE SKIP LOCKED)
			RETURNING id, item_id`, now, now.Add(directiveRemindBefore), limit)
		if err != nil {
			return err
		}
		type due struct{ ID, ItemID int64 }
		dues, err := pgx.CollectRows(rows, pgx.RowToStructByPos[due])
		if err != nil {
			return err
		}
		for _, d := range dues {
			it, err := findItem(ctx, tx, `i.id = $1`, d.ItemID)
			if err != nil {
				return err
			}
			if err := s.tellDirective(ctx, tx, EventDirectiveDue, it, d.ID); err != nil {
				return err
			}
		}
		n = len(dues)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("moderation.RemindDirectivesDue: %w", err)
	}
	return n, nil
}
