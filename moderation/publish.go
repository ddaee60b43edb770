package moderation

import (
	"context"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/jackc/pgx/v5"
)

// Channels meet only here. An answer given in one channel (a leader's
// answer on the air in a live dialogue) may be published as the official
// answer of a forum question, new or existing, so search finds it later.
// livechat asks through the queue; the forum registers the publisher.

// AnswerToPublish is a channel's question and answer to publish.
type AnswerToPublish struct {
	QuestionID int64  // an existing forum question; 0: create one in Category
	Category   string // category slug for a new question
	Title      string // title of a new question
	Question   string // body of a new question
	Answer     string // the official answer
	Answerer   string // who answered (shown with the answer)
	AnswererID *int64
	ActorID    int64 // who publishes, for the audit log
	Language   string
}

// PublishedAnswer is where the answer now is.
type PublishedAnswer struct {
	QuestionID int64  `json:"forum_question_id"`
	URL        string `json:"url"`
}

// AnswerCategory is a place a new question may be published in.
type AnswerCategory struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// AnswerPublisher is what the forum provides.
type AnswerPublisher interface {
	PublishAnswer(ctx context.Context, tx pgx.Tx, a AnswerToPublish) (PublishedAnswer, error)
	AnswerCategories(ctx context.Context) ([]AnswerCategory, error)
}

// SetAnswerPublisher registers the forum's publisher (before the node serves).
func (s *Service) SetAnswerPublisher(p AnswerPublisher) { s.publisher = p }

var errNoPublisher = apperr.Conflictf("no_forum", "no forum is set up to publish answers to")

// PublishAnswer publishes a inside the channel's transaction tx.
func (s *Service) PublishAnswer(ctx context.Context, tx pgx.Tx, a AnswerToPublish) (_ PublishedAnswer, err error) {
	defer apperr.Wrap(&err, "moderation.Service.PublishAnswer(%d)", a.QuestionID)
	if s.publisher == nil {
		return PublishedAnswer{}, errNoPublisher
	}
	return s.publisher.PublishAnswer(ctx, tx, a)
}

// AnswerCategories lists where a new question may be published (none
// without a forum).
func (s *Service) AnswerCategories(ctx context.Context) (_ []AnswerCategory, err error) {
	defer apperr.Wrap(&err, "moderation.Service.AnswerCategories")
	if s.publisher == nil {
		return nil, nil
	}
	return s.publisher.AnswerCategories(ctx)
}
