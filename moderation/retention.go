package moderation

import (
	"context"
	"time"
)

// PurgePersonalData blanks the contact (phone or e-mail, or a chat's
// name), the name channels keep in meta (live and offline questions), and
// the caller and recording references of items created before before that are no
// longer open (and a chat transcript's lines lose the citizen's name). The
// content snapshot and the figures stay: leaders' reports
// over past years keep working without anyone's number.
func (s *Service) PurgePersonalData(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE moderation_items
		SET contact = '', meta = meta - 'caller' - 'recording_path' - 'recording_url' - 'name', updated_at = now(),
			-- A chat transcript's lines ("[time] Name: …") name the citizen,
			-- whose name is the item's contact: those lines keep the words.
			content = CASE WHEN source = 'chat_conversation' AND contact <> ''
				THEN replace(content, '] ' || contact || ': ', '] —: ') ELSE content END
		WHERE created_at < $1 AND status NOT IN ('pending', 'approved', 'info_requested')
		  AND (contact <> '' OR meta ?| array['caller', 'recording_path', 'recording_url', 'name'])`, before)
	return tag.RowsAffected(), err
}
