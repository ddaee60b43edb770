package forum

import (
	"context"
	"strconv"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// decisions applies moderators' decisions to forum rows. Each runs inside
// the moderation transaction: the queue and the forum change together.
type decisions struct{ s *Service }

func refID(it moderation.Item) (int64, error) {
	id, err := strconv.ParseInt(it.Ref, 10, 64)
	if err != nil {
		return 0, apperr.NotFoundf("item %d does not point at a forum row", it.ID)
	}
	return id, nil
}

func (d decisions) question(ctx context.Context, tx pgx.Tx, dec moderation.Decision) error {
	id, err := refID(dec.Item)
	if err != nil {
		return err
	}
	switch dec.Action {
	case moderation.ActionApprove:
		_, err = tx.Exec(ctx, `UPDATE forum_questions SET status = 'published', published_at = coalesce(published_at, now()),
			info_request = '', updated_at = now() WHERE id = $1 AND status = 'pending'`, id)
	case moderation.ActionReject:
		_, err = tx.Exec(ctx, `UPDATE forum_questions SET status = 'rejected', reject_reason = $2, updated_at = now() WHERE id = $1`, id, dec.Body)
	case moderation.ActionAnswer:
		if err = insertOfficialAnswer(ctx, tx, id, dec); err != nil {
			return err
		}
		// An answer also publishes a question that was still waiting:
		// a moderator who answers it has reviewed it.
		_, err = tx.Exec(ctx, `UPDATE forum_questions SET status = 'answered', answered_at = now(), info_request = '',
			published_at = coalesce(published_at, now()), updated_at = now() WHERE id = $1`, id)
	case moderation.ActionRequestInfo:
		_, err = tx.Exec(ctx, `UPDATE forum_questions SET info_request = $2, updated_at = now() WHERE id = $1`, id, dec.Body)
	case moderation.ActionClose:
		_, err = tx.Exec(ctx, `UPDATE forum_questions SET status = 'closed', updated_at = now() WHERE id = $1 AND status <> 'rejected'`, id)
	case moderation.ActionMerge:
		var dup *int64
		if t := dec.Target; t != nil && t.Source == moderation.SourceForumQuestion {
			if tid, err := refID(*t); err == nil {
				dup = &tid
			}
		}
		_, err = tx.Exec(ctx, `UPDATE forum_questions SET status = CASE WHEN status = 'pending' THEN 'rejected' ELSE 'closed' END,
			duplicate_of = $2, reject_reason = CASE WHEN status = 'pending' THEN 'duplicate' ELSE reject_reason END, updated_at = now()
			WHERE id = $1`, id, dup)
	}
	return err
}

func insertOfficialAnswer(ctx context.Context, tx pgx.Tx, questionID int64, dec moderation.Decision) error {
	var name string
	if err := tx.QueryRow(ctx, `SELECT CASE WHEN display_name <> '' THEN display_name ELSE login END FROM users WHERE id = $1`, dec.ActorID).Scan(&name); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO forum_replies (question_id, author_id, author_name, body, body_html, official, status)
		VALUES ($1, $2, $3, $4, $5, true, 'published')`, questionID, dec.ActorID, name, dec.Body, RenderMarkdown(dec.Body))
	return err
}

func (d decisions) reply(ctx context.Context, tx pgx.Tx, dec moderation.Decision) error {
	id, err := refID(dec.Item)
	if err != nil {
		return err
	}
	switch dec.Action {
	case moderation.ActionApprove:
		_, err = tx.Exec(ctx, `UPDATE forum_replies SET status = 'published' WHERE id = $1`, id)
	case moderation.ActionReject, moderation.ActionMerge:
		_, err = tx.Exec(ctx, `UPDATE forum_replies SET status = 'rejected' WHERE id = $1`, id)
	case moderation.ActionAnswer:
		// Answering a citizen's reply is an official answer on its question.
		var qid int64
		if err = tx.QueryRow(ctx, `UPDATE forum_replies SET status = 'published' WHERE id = $1 RETURNING question_id`, id).Scan(&qid); err != nil {
			return err
		}
		err = insertOfficialAnswer(ctx, tx, qid, dec)
	}
	return err
}

func (d decisions) report(ctx context.Context, tx pgx.Tx, dec moderation.Decision) error {
	id, err := refID(dec.Item)
	if err != nil {
		return err
	}
	switch dec.Action {
	case moderation.ActionApprove: // the report is upheld: take the content down
		var qid int64
		var rid *int64
		if err = tx.QueryRow(ctx, `UPDATE forum_reports SET status = 'upheld' WHERE id = $1 RETURNING question_id, reply_id`, id).Scan(&qid, &rid); err != nil {
			return err
		}
		if rid != nil {
			_, err = tx.Exec(ctx, `UPDATE forum_replies SET status = 'rejected' WHERE id = $1`, *rid)
		} else {
			_, err = tx.Exec(ctx, `UPDATE forum_questions SET status = 'rejected', reject_reason = 'removed after a report', updated_at = now() WHERE id = $1`, qid)
		}
	case moderation.ActionReject, moderation.ActionClose, moderation.ActionAnswer:
		_, err = tx.Exec(ctx, `UPDATE forum_reports SET status = 'dismissed' WHERE id = $1`, id)
	}
	return err
}
