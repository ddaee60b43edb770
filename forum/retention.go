package forum

import (
	"context"
	"time"
)

// PurgePersonalData blanks the contact that askers left for the answer on
// questions created before before that are settled (answered, closed or
// rejected). The question and its answer stay public as they were.
func (s *Service) PurgePersonalData(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE forum_questions SET contact = '', updated_at = now()
		WHERE created_at < $1 AND contact <> '' AND status IN ('answered', 'closed', 'rejected')`, before)
	return tag.RowsAffected(), err
}
