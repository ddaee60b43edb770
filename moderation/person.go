package moderation

import (
	"context"
	"errors"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/contact"
	"github.com/jackc/pgx/v5"
)

// personKeys returns the normalised phone and e-mail a new item is filed
// under: those the channel gave, or else what its free contact field
// holds when that reads as a phone number or an address. A display name
// is never a key, so two people called "Nguyễn Văn A" stay two people.
func personKeys(n NewItem) (phone, email string) {
	if n.Phone == "" && n.Email == "" {
		return contact.Keys(n.Contact)
	}
	if n.Phone != "" {
		phone, _ = contact.Phone(n.Phone)
	}
	if n.Email != "" {
		email, _ = contact.Email(n.Email)
	}
	return phone, email
}

// caseOf returns the case a submission continues: the first item of the
// case whose tracking code the citizen gave (nil without a code).
func caseOf(ctx context.Context, tx pgx.Tx, code string) (*int64, error) {
	if code == "" {
		return nil, nil
	}
	code = NormalizeCode(code)
	if err := CheckCode(code); err != nil {
		return nil, err
	}
	var root int64
	err := tx.QueryRow(ctx, `SELECT coalesce(case_id, id) FROM moderation_items WHERE tracking_code = $1`, code).Scan(&root)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.Invalidf("unknown_case_code", "no submission has the tracking code %s", code)
	}
	return &root, err
}

// FindPersonHistory lists the other items of the person who sent it, on
// every channel, newest first: same verified account, same normalised
// phone (hotline caller ID included) or same normalised e-mail.
func (s *Store) FindPersonHistory(ctx context.Context, it Item, limit int) (_ []Item, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindPersonHistory(%d)", it.ID)
	if it.CitizenID == nil && it.CitizenPhone == "" && it.CitizenEmail == "" {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+itemColumns+itemFrom+`
		WHERE i.id <> $1 AND ((i.citizen_id = $2) OR (i.citizen_phone = $3 AND $3 <> '') OR (i.citizen_email = $4 AND $4 <> ''))
		ORDER BY i.created_at DESC, i.id DESC LIMIT $5`, it.ID, it.CitizenID, it.CitizenPhone, it.CitizenEmail, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanItem)
}

// FindCase lists every item of the case it belongs to (its first item and
// all that continue it), oldest first.
func (s *Store) FindCase(ctx context.Context, it Item) (_ []Item, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindCase(%d)", it.ID)
	root := it.ID
	if it.CaseID != nil {
		root = *it.CaseID
	}
	rows, err := s.pool.Query(ctx, `SELECT `+itemColumns+itemFrom+`
		WHERE i.id = $1 OR i.case_id = $1 ORDER BY i.id LIMIT 100`, root)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanItem)
}

// FindMergedInto lists the items merged into item id, inside tx: when the
// target is answered, these askers are to be told too (the outbox reads
// them in the answering transaction).
func (s *Store) FindMergedInto(ctx context.Context, tx pgx.Tx, id int64) (_ []Item, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindMergedInto(%d)", id)
	rows, err := tx.Query(ctx, `SELECT `+itemColumns+itemFrom+`WHERE i.merged_into = $1 ORDER BY i.id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanItem)
}
