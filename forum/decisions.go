package forum

import (
	"context"
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
		err = publishQuestion(ctx, tx, id)
	case moderation.ActionReject:
		err = rejectQuestion(ctx, tx, id, dec.Body)
	case moderation.ActionAnswer:
		if err = insertOfficialAnswer(ctx, tx, id, dec.ActorID, dec.Body); err != nil {
			return err
		}
		// An answer also publishes a question that was still waiting:
		// a moderator who answers it has reviewed it.
		err = markAnswered(ctx, tx, id)
	case moderation.ActionRequestInfo:
		err = requestInfo(ctx, tx, id, dec.Body)
	case moderation.ActionClose:
		err = closeQuestion(ctx, tx, id)
	case moderation.ActionMerge:
		var dup *int64
		if t := dec.Target; t != nil && t.Source == moderation.SourceForumQuestion {
			if tid, err := refID(*t); err == nil {
				dup = &tid
			}
		}
		err = mergeQuestion(ctx, tx, id, dup)
	}
	return err
}

func (d decisions) reply(ctx context.Context, tx pgx.Tx, dec moderation.Decision) error {
	id, err := refID(dec.Item)
	if err != nil {
		return err
	}
	switch dec.Action {
	case moderation.ActionApprove:
		err = publishReply(ctx, tx, id)
	case moderation.ActionReject, moderation.ActionMerge:
		err = rejectReply(ctx, tx, id)
	case moderation.ActionAnswer:
		// Answering a citizen's reply is an official answer on its question.
		var qid int64
		if qid, err = publishAnsweredReply(ctx, tx, id); err != nil {
			return err
		}
		err = insertOfficialAnswer(ctx, tx, qid, dec.ActorID, dec.Body)
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
		qid, rid, err := upholdReport(ctx, tx, id)
		if err != nil {
			return err
		}
		if rid != nil {
			return rejectReply(ctx, tx, *rid)
		}
		return rejectQuestion(ctx, tx, qid, "removed after a report")
	case moderation.ActionReject, moderation.ActionClose, moderation.ActionAnswer:
		err = dismissReport(ctx, tx, id)
	}
	return err
}

// PublishAnswer implements moderation.AnswerPublisher, inside the channel's
// transaction: a's answer becomes the official answer of forum question
// a.QuestionID, or of a new, published question in a.Category (title and
// body from the channel's question, no author: the asker's name stays in
// the channel). The question's queue item is answered with it. NotFound
// when there is no question a.QuestionID, Conflict ("not_public") when it
// is not public, Invalid for no answer or an unknown category.
func (s *Service) PublishAnswer(ctx context.Context, tx pgx.Tx, a moderation.AnswerToPublish) (_ moderation.PublishedAnswer, err error) {
	defer apperr.Wrap(&err, "forum.Service.PublishAnswer(%d)", a.QuestionID)
	if strings.TrimSpace(a.Answer) == "" {
		return moderation.PublishedAnswer{}, apperr.Invalidf("answer_required", "there is no answer to publish")
	}
	q := Question{ID: a.QuestionID}
	if a.QuestionID != 0 {
		slug, vis, status, err := lockQuestion(ctx, tx, a.QuestionID)
		q.Slug = slug
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
		if q.ID, err = insertLiveQuestion(ctx, tx, cat, liveQuestion{Title: a.Title, Slug: q.Slug, Body: a.Question, Language: a.Language, Code: code}); err != nil {
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
			if err := setTrackingCode(ctx, tx, q.ID, it.TrackingCode); err != nil {
				return moderation.PublishedAnswer{}, err
			}
		}
	}
	if err := insertOfficialReply(ctx, tx, q.ID, a.AnswererID, a.Answerer, a.Answer); err != nil {
		return moderation.PublishedAnswer{}, err
	}
	if err := markAnswered(ctx, tx, q.ID); err != nil {
		return moderation.PublishedAnswer{}, err
	}
	err = s.queue.AnsweredInChannel(ctx, tx, moderation.SourceForumQuestion, strconv.FormatInt(q.ID, 10), a.ActorID, a.Answer)
	if err != nil && apperr.KindOf(err) != apperr.NotFound { // an old question may have no item
		return moderation.PublishedAnswer{}, err
	}
	return moderation.PublishedAnswer{QuestionID: q.ID, URL: q.Path()}, nil
}

// AnswerCategories implements moderation.AnswerPublisher.
func (s *Service) AnswerCategories(ctx context.Context) (_ []moderation.AnswerCategory, err error) {
	defer apperr.Wrap(&err, "forum.Service.AnswerCategories")
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
