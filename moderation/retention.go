package moderation

import (
	"context"
	"time"
)

// PurgePersonalData blanks the contact (phone or e-mail, or a chat's
// name), the name channels keep in meta (live and offline questions), and
// the caller and recording references of items created before before that are no
// longer open. The content snapshot and the figures stay: leaders' reports
// over past years keep working without anyone's number.
func (s *Service) PurgePersonalData(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE moderation_items
		SET contact = '', meta = meta - 'caller' - 'recording_path' - 'recording_url' - 'name', updated_at = now()
		WHERE created_at < $1 AND status NOT IN ('pending', 'approved', 'info_requested')
		  AND (contact <> '' OR meta ?| array['caller', 'recording_path', 'recording_url', 'name'])`, before)
	return tag.RowsAffected(), err
}
