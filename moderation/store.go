package moderation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is the queue's storage. A Find of one row returns a NotFound
// apperr when there is none; a list returns no error for no rows. Public
// methods wrap their errors with the operation (apperr.Wrap).
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const itemColumns = `i.id, i.source, i.ref, coalesce(i.tracking_code, ''), i.title, i.content, i.kind, i.citizen_id,
	i.contact, i.category, i.province, i.language, i.priority, i.status, i.assignee_id, u.login, i.lease_expires_at,
	coalesce(i.department, ''), i.escalated, i.merged_into, i.reason, i.answer, i.public_url, i.meta,
	i.created_at, i.updated_at, i.first_response_at, i.answered_at, i.due_at, i.citizen_phone, i.citizen_email, i.case_id`

const itemFrom = ` FROM moderation_items i LEFT JOIN users u ON u.id = i.assignee_id `

func scanItem(row pgx.CollectableRow) (Item, error) {
	var it Item
	var meta []byte
	var src string
	err := row.Scan(&it.ID, &src, &it.Ref, &it.TrackingCode, &it.Title, &it.Content, &it.Kind, &it.CitizenID,
		&it.Contact, &it.Category, &it.Province, &it.Language, &it.Priority, &it.Status, &it.AssigneeID, &it.Assignee, &it.LeaseExpiresAt,
		&it.Department, &it.Escalated, &it.MergedInto, &it.Reason, &it.Answer, &it.URL, &meta,
		&it.CreatedAt, &it.UpdatedAt, &it.FirstResponse, &it.AnsweredAt, &it.DueAt, &it.CitizenPhone, &it.CitizenEmail, &it.CaseID)
	if err != nil {
		return it, err
	}
	it.Source = Source(src)
	if len(meta) > 0 {
		_ = json.Unmarshal(meta, &it.Meta)
	}
	if s, ok := it.Meta["recording_url"].(string); ok {
		it.RecordingURL = s
	}
	return it, nil
}

func findItem(ctx context.Context, q db.Querier, where string, args ...any) (Item, error) {
	rows, err := q.Query(ctx, `SELECT `+itemColumns+itemFrom+`WHERE `+where, args...)
	if err != nil {
		return Item{}, err
	}
	it, err := pgx.CollectExactlyOneRow(rows, scanItem)
	if errors.Is(err, pgx.ErrNoRows) {
		return Item{}, apperr.NotFoundf("no such item")
	}
	return it, err
}

// FindItemByID returns one item; NotFound when there is no item id.
func (s *Store) FindItemByID(ctx context.Context, id int64) (_ Item, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindItemByID(%d)", id)
	return findItem(ctx, s.pool, `i.id = $1`, id)
}

// FindItemByTrackingCode returns the item a citizen's code points to;
// NotFound when no item has the code.
func (s *Store) FindItemByTrackingCode(ctx context.Context, code string) (_ Item, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindItemByTrackingCode")
	return findItem(ctx, s.pool, `i.tracking_code = $1`, NormalizeCode(code))
}

// FindItemBySource returns the item of a channel's thing; NotFound when
// the channel has no item for ref.
func (s *Store) FindItemBySource(ctx context.Context, src Source, ref string) (_ Item, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindItemBySource(%s, %q)", src, ref)
	return findItem(ctx, s.pool, `i.source = $1 AND i.ref = $2`, string(src), ref)
}

// FindItems lists items matching f, newest first, with the total count.
func (s *Store) FindItems(ctx context.Context, f ItemFilter) (_ []Item, _ int, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindItems")
	where, args := []string{"true"}, []any{}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if len(f.Status) > 0 {
		where = append(where, "i.status = ANY("+arg(f.Status)+")")
	}
	if len(f.Source) > 0 {
		srcs := make([]string, len(f.Source))
		for i, s := range f.Source {
			srcs[i] = string(s)
		}
		where = append(where, "i.source = ANY("+arg(srcs)+")")
	}
	if f.Category != "" {
		where = append(where, "i.category = "+arg(f.Category))
	}
	if f.Province != "" {
		where = append(where, "i.province = "+arg(f.Province))
	}
	if f.Escalated != nil {
		where = append(where, "i.escalated = "+arg(*f.Escalated))
	}
	if f.AssigneeID != nil {
		where = append(where, "i.assignee_id = "+arg(*f.AssigneeID))
	}
	if f.CitizenID != nil && f.Contact != "" {
		where = append(where, "(i.citizen_id = "+arg(*f.CitizenID)+" OR i.contact = "+arg(f.Contact)+")")
	} else if f.CitizenID != nil {
		where = append(where, "i.citizen_id = "+arg(*f.CitizenID))
	} else if f.Contact != "" {
		where = append(where, "i.contact = "+arg(f.Contact))
	}
	if f.Overdue {
		where = append(where, "i.status IN ('pending','approved','info_requested') AND i.due_at < now()")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM moderation_items i WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+itemColumns+itemFrom+`WHERE `+cond+
		fmt.Sprintf(` ORDER BY i.priority DESC, i.created_at DESC, i.id DESC LIMIT %d OFFSET %d`, f.Limit, f.Offset), args...)
	if err != nil {
		return nil, 0, err
	}
	items, err := pgx.CollectRows(rows, scanItem)
	return items, total, err
}

// insertItem stores a new item inside the channel's transaction.
func insertItem(ctx context.Context, tx pgx.Tx, n NewItem, due time.Time, caseID *int64) (Item, error) {
	meta, err := json.Marshal(n.Meta)
	if err != nil {
		return Item{}, err
	}
	if n.Meta == nil {
		meta = []byte("{}")
	}
	var code *string
	if n.TrackingCode != "" {
		c := NormalizeCode(n.TrackingCode)
		code = &c
	}
	var dept *string
	if n.Department != "" {
		dept = &n.Department
	}
	var id int64
	err = tx.QueryRow(ctx, `
		INSERT INTO moderation_items (source, ref, tracking_code, title, content, kind, citizen_id, contact,
			category, province, language, priority, status, department, public_url, meta, due_at,
			citizen_phone, citizen_email, case_id, closed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
			-- An item settled on its channel (a chat the operator answered
			-- live) is closed from the start.
			CASE WHEN $13 IN ('answered', 'rejected', 'closed') THEN now() END)
		RETURNING id`,
		string(n.Source), n.Ref, code, n.Title, n.Content, n.Kind, n.CitizenID, n.Contact,
		n.Category, n.Province, n.Language, n.Priority, n.Status, dept, n.URL, meta, due,
		n.Phone, n.Email, caseID).Scan(&id)
	if err != nil {
		if db.IsUniqueViolation(err, "moderation_items_tracking_code_key") {
			return Item{}, errCodeTaken
		}
		return Item{}, err
	}
	return findItem(ctx, tx, `i.id = $1`, id)
}

var errCodeTaken = errors.New("tracking code taken")

// appendAudit writes one audit entry.
func appendAudit(ctx context.Context, q db.Querier, itemID int64, actorID *int64, action, note string, before, after any) error {
	var b, a []byte
	var err error
	if before != nil {
		if b, err = json.Marshal(before); err != nil {
			return err
		}
	}
	if after != nil {
		if a, err = json.Marshal(after); err != nil {
			return err
		}
	}
	_, err = q.Exec(ctx, `INSERT INTO moderation_audit (item_id, actor_id, action, note, before, after) VALUES ($1, $2, $3, $4, $5, $6)`,
		itemID, actorID, action, note, b, a)
	return err
}

// AuditEntry is one line of an item's history.
type AuditEntry struct {
	ID    int64  `json:"id"`
	Actor string `json:"actor"`
	// ActorName is the actor's display name ("" for the system).
	ActorName string          `json:"actor_name,omitempty"`
	Action    string          `json:"action"`
	At        time.Time       `json:"at"`
	Note      string          `json:"note,omitempty"`
	Before    json.RawMessage `json:"before,omitempty"`
	After     json.RawMessage `json:"after,omitempty"`
}

// FindHistory returns an item's audit log, oldest first.
func (s *Store) FindHistory(ctx context.Context, itemID int64) (_ []AuditEntry, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindHistory(%d)", itemID)
	rows, err := s.pool.Query(ctx, `
		SELECT a.id, coalesce(u.login, 'system'), coalesce(nullif(u.display_name, ''), u.login, ''), a.action, a.at, a.note, a.before, a.after
		FROM moderation_audit a LEFT JOIN users u ON u.id = a.actor_id
		WHERE a.item_id = $1 ORDER BY a.id`, itemID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		err := row.Scan(&e.ID, &e.Actor, &e.ActorName, &e.Action, &e.At, &e.Note, &e.Before, &e.After)
		return e, err
	})
}

// FindAnswerer is the display name (or login) of who answered the item
// last, "" when nobody has: a live question's code names the leader who
// answered it on the air.
func (s *Store) FindAnswerer(ctx context.Context, itemID int64) (_ string, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindAnswerer(%d)", itemID)
	var name string
	err = s.pool.QueryRow(ctx, `
		SELECT coalesce(nullif(u.display_name, ''), u.login)
		FROM moderation_audit a JOIN users u ON u.id = a.actor_id
		WHERE a.item_id = $1 AND a.action = 'answer'
		ORDER BY a.id DESC LIMIT 1`, itemID).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return name, err
}
