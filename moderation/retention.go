package moderation

import (
	"context"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
)

// PurgePersonalData blanks the contact (phone or e-mail, and the person's
// normalised keys made from it), the name channels keep in meta (chats,
// live and offline questions), and the caller and recording references of
// items created before before that are no longer open (and a chat
// transcript's lines lose the citizen's name). The content snapshot and
// the figures stay: leaders' reports
// over past years keep working without anyone's number.
func (s *Service) PurgePersonalData(ctx context.Context, before time.Time) (_ int64, err error) {
	defer apperr.Wrap(&err, "moderation.Service.PurgePersonalData")
	tag, err := s.pool.Exec(ctx, `
		UPDATE moderation_items
		SET contact = '', citizen_phone = '', citizen_email = '',
			meta = meta - 'caller' - 'recording_path' - 'recording_url' - 'name', updated_at = now(),
			-- A chat transcript's lines ("[time] Name: …") name the citizen,
			-- whose name the item keeps in meta: those lines keep the words.
			content = CASE WHEN source = 'chat_conversation' AND coalesce(meta->>'name', '') <> ''
				THEN replace(content, '] ' || (meta->>'name') || ': ', '] —: ') ELSE content END
		WHERE created_at < $1 AND status NOT IN ('pending', 'approved', 'info_requested')
		  AND (contact <> '' OR citizen_phone <> '' OR citizen_email <> '' OR meta ?| array['caller', 'recording_path', 'recording_url', 'name'])`, before)
	return tag.RowsAffected(), err
}
