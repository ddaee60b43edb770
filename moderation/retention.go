package moderation

import (
	"context"
	"time"
)

// PurgePersonalData blanks the contact (phone or e-mail, and the person's
// normalised keys made from it) and the caller
// and recording references of items created before before that are no
// longer open. The content snapshot and the figures stay: leaders' reports
// over past years keep working without anyone's number.
func (s *Service) PurgePersonalData(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE moderation_items
		SET contact = '', citizen_phone = '', citizen_email = '', meta = meta - 'caller' - 'recording_path' - 'recording_url', updated_at = now()
		WHERE created_at < $1 AND status NOT IN ('pending', 'approved', 'info_requested')
		  AND (contact <> '' OR citizen_phone <> '' OR citizen_email <> '' OR meta ?| array['caller', 'recording_path', 'recording_url'])`, before)
	return tag.RowsAffected(), err
}
