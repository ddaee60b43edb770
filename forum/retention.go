package forum

import (
	"context"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
)

// PurgePersonalData blanks the contact that askers left for the answer on
// questions created before before that are settled (answered, closed or
// rejected). The question and its answer stay public as they were.
func (s *Service) PurgePersonalData(ctx context.Context, before time.Time) (_ int64, err error) {
	defer apperr.Wrap(&err, "forum.Service.PurgePersonalData")
	tag, err := s.pool.Exec(ctx, `
		UPDATE forum_questions SET contact = '', updated_at = now()
		WHERE created_at < $1 AND contact <> '' AND status IN ('answered', 'closed', 'rejected')`, before)
	return tag.RowsAffected(), err
}
