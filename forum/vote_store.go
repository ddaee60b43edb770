package forum

import (
	"context"
	"errors"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// recordVote counts voter key once on a public question and records each
// of alsoKeys uncounted; it returns the question's votes and whether key's
// vote was new. NotFound when the question is not public.
func recordVote(ctx context.Context, tx pgx.Tx, questionID int64, key string, alsoKeys []string) (votes int, added bool, err error) {
	var public bool
	err = tx.QueryRow(ctx, `SELECT `+strings.ReplaceAll(publicCond, "q.", "")+` FROM forum_questions WHERE id = $1`, questionID).Scan(&public)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !public) {
		return 0, false, apperr.NotFoundf("no such question")
	} else if err != nil {
		return 0, false, err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO forum_votes (question_id, voter) VALUES ($1, $2) ON CONFLICT DO NOTHING`, questionID, key)
	if err != nil {
		return 0, false, err
	}
	added = tag.RowsAffected() == 1
	for _, other := range alsoKeys {
		if _, err := tx.Exec(ctx, `INSERT INTO forum_votes (question_id, voter) VALUES ($1, $2) ON CONFLICT DO NOTHING`, questionID, other); err != nil {
			return 0, false, err
		}
	}
	if added {
		err = tx.QueryRow(ctx, `UPDATE forum_questions SET votes = votes + 1 WHERE id = $1 RETURNING votes`, questionID).Scan(&votes)
	} else {
		err = tx.QueryRow(ctx, `SELECT votes FROM forum_questions WHERE id = $1`, questionID).Scan(&votes)
	}
	return votes, added, err
}
