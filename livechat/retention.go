package livechat

import (
	"context"
	"time"

	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// PurgePersonalData deletes the personal data of chats settled before
// before (RETENTION_DAYS): the citizen's name, address and contact of
// support chats that ended or were left offline and whose queue item is no
// longer open, with the citizen's name on their lines and in the kept
// transcript; and the asker's name and address of questions to live
// sessions that ended. Questions, answers and transcripts' words stay:
// they are the record. Idempotent; it returns the rows changed.
func (s *Service) PurgePersonalData(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			UPDATE chat_conversations c
			SET name = '', ip = '', contact = '',
				transcript = CASE WHEN c.name <> '' THEN replace(c.transcript, '] ' || c.name || ': ', '] —: ') ELSE c.transcript END
			WHERE c.created_at < $1 AND c.status IN ('closed', 'offline')
			  AND (c.name <> '' OR c.ip <> '' OR c.contact <> '')
			  AND NOT EXISTS (SELECT 1 FROM moderation_items i
			                  WHERE i.source = $2 AND i.ref = c.id::text AND i.status = ANY($3))
			RETURNING 'conv:' || c.id`,
			before, string(moderation.SourceChatConversation),
			[]string{moderation.StatusPending, moderation.StatusApproved, moderation.StatusInfoRequested})
		if err != nil {
			return err
		}
		rooms, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		n += int64(len(rooms))
		tag, err := tx.Exec(ctx, `UPDATE chat_messages SET author = '' WHERE room = ANY($1) AND author_role = 'citizen' AND author <> ''`, rooms)
		if err != nil {
			return err
		}
		n += tag.RowsAffected()
		// Live questions: once their session is over (ended early or by
		// the clock) and the cut-off has passed.
		rows, err = tx.Query(ctx, `
			UPDATE live_questions q SET name = '', ip = ''
			FROM live_sessions ss
			WHERE ss.id = q.session_id AND q.created_at < $1 AND coalesce(ss.ended_at, ss.ends_at) < now()
			  AND (q.name <> '' OR q.ip <> '')
			RETURNING q.id`, before)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		n += int64(len(ids))
		tag, err = tx.Exec(ctx, `
			UPDATE chat_messages SET author = CASE WHEN author_role = 'citizen' THEN '' ELSE author END, data = data - 'asker'
			WHERE room LIKE 'live:%' AND (data->>'question_id')::bigint = ANY($1)
			  AND ((author_role = 'citizen' AND author <> '') OR data ? 'asker')`, ids)
		if err != nil {
			return err
		}
		n += tag.RowsAffected()
		return nil
	})
	return n, err
}
