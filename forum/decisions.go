package forum

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/vntext"
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

// PublishAnswer implements moderation.AnswerPublisher, inside the channel's
// transaction: a's answer becomes the official answer of forum question
// a.QuestionID, or of a new, published question in a.Category (title and
// body from the channel's question, no author: the asker's name stays in
// the channel). The question's queue item is answered with it.
func (s *Service) PublishAnswer(ctx context.Context, tx pgx.Tx, a moderation.AnswerToPublish) (moderation.PublishedAnswer, error) {
	if strings.TrimSpace(a.Answer) == "" {
		return moderation.PublishedAnswer{}, apperr.Invalidf("answer_required", "there is no answer to publish")
	}
	q := Question{ID: a.QuestionID}
	if a.QuestionID != 0 {
		var vis, status string
		err := tx.QueryRow(ctx, `SELECT slug, visibility, status FROM forum_questions WHERE id = $1 FOR UPDATE`, a.QuestionID).Scan(&q.Slug, &vis, &status)
		if errors.Is(err, pgx.ErrNoRows) {
			return moderation.PublishedAnswer{}, apperr.NotFoundf("no forum question %d", a.QuestionID)
		}
		if err != nil {
			return moderation.PublishedAnswer{}, err
		}
		if vis != "public" || status == StatusRejected || status == StatusPending {
			return moderation.PublishedAnswer{}, apperr.Conflictf("not_public", "forum question %d is not public", a.QuestionID)
		}
	} else {
		cat, err := s.Store.FindCategoryBySlug(ctx, a.Category)
		if err != nil {
			if apperr.KindOf(err) == apperr.NotFound {
				return moderation.PublishedAnswer{}, apperr.Invalidf("unknown_category", "no such category %q", a.Category)
			}
			return moderation.PublishedAnswer{}, err
		}
		if a.Language == "" {
			a.Language = "vi"
		}
		code := moderation.NewTrackingCode()
		q.Slug = vntext.Slug(a.Title)
		if err := tx.QueryRow(ctx, `
			INSERT INTO forum_questions (category_id, title, slug, body, body_html, language, status, tracking_code, published_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'published', $7, now()) RETURNING id`,
			cat.ID, a.Title, q.Slug, a.Question, RenderMarkdown(a.Question), a.Language, code).Scan(&q.ID); err != nil {
			return moderation.PublishedAnswer{}, err
		}
		it, err := s.queue.Enqueue(ctx, tx, moderation.NewItem{
			Source: moderation.SourceForumQuestion, Ref: strconv.FormatInt(q.ID, 10), TrackingCode: code,
			Title: a.Title, Content: a.Question, Category: cat.Slug, Language: a.Language,
			Status: moderation.StatusApproved, URL: q.Path(), Meta: map[string]any{"visibility": "public", "from_live": true},
		})
		if err != nil {
			return moderation.PublishedAnswer{}, err
		}
		if it.TrackingCode != code {
			if _, err := tx.Exec(ctx, `UPDATE forum_questions SET tracking_code = $2 WHERE id = $1`, q.ID, it.TrackingCode); err != nil {
				return moderation.PublishedAnswer{}, err
			}
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO forum_replies (question_id, author_id, author_name, body, body_html, official, status)
		VALUES ($1, $2, $3, $4, $5, true, 'published')`, q.ID, a.AnswererID, a.Answerer, a.Answer, RenderMarkdown(a.Answer)); err != nil {
		return moderation.PublishedAnswer{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE forum_questions SET status = 'answered', answered_at = now(), info_request = '',
		published_at = coalesce(published_at, now()), updated_at = now() WHERE id = $1`, q.ID); err != nil {
		return moderation.PublishedAnswer{}, err
	}
	err := s.queue.AnsweredInChannel(ctx, tx, moderation.SourceForumQuestion, strconv.FormatInt(q.ID, 10), a.ActorID, a.Answer)
	if err != nil && apperr.KindOf(err) != apperr.NotFound { // an old question may have no item
		return moderation.PublishedAnswer{}, err
	}
	return moderation.PublishedAnswer{QuestionID: q.ID, URL: q.Path()}, nil
}

// AnswerCategories implements moderation.AnswerPublisher.
func (s *Service) AnswerCategories(ctx context.Context) ([]moderation.AnswerCategory, error) {
	cats, err := s.Store.FindCategories(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]moderation.AnswerCategory, len(cats))
	for i, c := range cats {
		out[i] = moderation.AnswerCategory{Slug: c.Slug, Name: c.Name}
	}
	return out, nil
}
