package moderation

import (
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// ActionAmend is the audit action of a channel replacing an item's content
// snapshot after the fact (a hotline operator's summary written once the
// call is over). It is not an API action: channels call Amend.
const ActionAmend = "amend"

// Amend replaces item id's content and merges metaPatch into its meta,
// inside the channel's transaction tx, and records actorID's change in the
// audit log (the new content is the entry's note). A closed item may be
// amended too: the snapshot is the record of what the citizen said.
// NotFound when there is no item id.
func (s *Service) Amend(ctx context.Context, tx pgx.Tx, id, actorID int64, content string, metaPatch map[string]any) (_ Item, err error) {
	defer apperr.Wrap(&err, "moderation.Service.Amend(%d)", id)
	content = strings.TrimSpace(content)
	if content == "" || !utf8.ValidString(content) || utf8.RuneCountInString(content) > MaxAnswerLen {
		return Item{}, apperr.Invalidf("bad_content", "the content is empty, not UTF-8 or longer than %d characters", MaxAnswerLen)
	}
	before, err := findItem(ctx, tx, `i.id = $1 FOR UPDATE OF i`, id)
	if err != nil {
		return Item{}, err
	}
	patch, err := json.Marshal(metaPatch)
	if err != nil {
		return Item{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE moderation_items SET content = $2, meta = coalesce(meta, '{}'::jsonb) || $3::jsonb, updated_at = now() WHERE id = $1`,
		id, content, patch); err != nil {
		return Item{}, err
	}
	after, err := findItem(ctx, tx, `i.id = $1`, id)
	if err != nil {
		return Item{}, err
	}
	if err := appendAudit(ctx, tx, id, nullActor(actorID), ActionAmend, content, snapshot(before), snapshot(after)); err != nil {
		return Item{}, err
	}
	return after, notify(ctx, tx, after, ActionAmend)
}

func nullActor(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
