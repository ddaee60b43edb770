package forum

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/vntext"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ReopenWindow is how long after an answer the asker may reopen, once.
const ReopenWindow = 30 * 24 * time.Hour

// Service is the forum's behaviour.
type Service struct {
	pool  *pgxpool.Pool
	Store *Store
	queue *moderation.Service
	log   *slog.Logger
	views *viewCounter
}

// NewService returns the forum service and registers its decision
// handlers with the queue.
func NewService(pool *pgxpool.Pool, queue *moderation.Service, log *slog.Logger) *Service {
	s := &Service{pool: pool, Store: NewStore(pool), queue: queue, log: log, views: &viewCounter{counts: map[int64]int64{}}}
	d := decisions{s}
	queue.RegisterHandler(moderation.SourceForumQuestion, moderation.ChannelHandlerFunc(d.question))
	queue.RegisterHandler(moderation.SourceForumReply, moderation.ChannelHandlerFunc(d.reply))
	queue.RegisterHandler(moderation.SourceReport, moderation.ChannelHandlerFunc(d.report))
	queue.SetAnswerPublisher(s) // live-dialogue answers published as official answers
	return s
}

// Ask stores a question and its queue item in one transaction. In a
// pre-moderated category the question waits hidden; in a post-moderated one
// it is public at once and the item waits for an answer. Invalid for bad
// input (an unknown category too), which stores nothing.
func (s *Service) Ask(ctx context.Context, n NewQuestion) (_ Question, err error) {
	defer apperr.Wrap(&err, "forum.Service.Ask(%q)", n.Category)
	if err := n.Validate(); err != nil {
		return Question{}, err
	}
	cat, err := s.Store.FindCategoryBySlug(ctx, n.Category)
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return Question{}, fieldErr("category", "unknown_category", "no such category")
		}
		return Question{}, err
	}
	status, itemStatus := StatusPending, moderation.StatusPending
	complaint := n.Kind == "complaint" || n.Kind == "denunciation"
	if cat.Moderation == "post" && !complaint && n.Visibility == "public" {
		status, itemStatus = StatusPublished, moderation.StatusApproved
	}
	var q Question
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		code := moderation.NewTrackingCode()
		var consent *time.Time
		if n.Consent {
			now := time.Now()
			consent = &now
		}
		id, err := insertQuestion(ctx, tx, cat, n, status, code, consent)
		if err != nil {
			return err
		}
		dept := ""
		if complaint {
			if dept, err = moderation.ComplaintDepartment(ctx, tx); err != nil {
				return err
			}
		}
		q = Question{ID: id, Slug: vntext.Slug(n.Title)}
		it, err := s.queue.Enqueue(ctx, tx, moderation.NewItem{
			Source: moderation.SourceForumQuestion, Ref: strconv.FormatInt(id, 10), TrackingCode: code,
			Title: n.Title, Content: n.Body, Kind: n.Kind, CitizenID: n.AuthorID, Contact: n.Contact, Phone: n.Phone, Email: n.Email, CaseCode: n.CaseCode,
			Category: cat.Slug, Province: n.Province, Language: n.Language, Department: dept,
			Priority: priorityOf(n.Kind), Status: itemStatus, URL: q.Path(),
			Meta: map[string]any{"visibility": n.Visibility, "district": n.District, "commune": n.Commune,
				// A contact given with consent is where the asker is told of the case.
				moderation.MetaNotify: n.Consent && n.Contact != ""},
		})
		if err != nil {
			return err
		}
		if it.TrackingCode != code { // the queue picked a fresh code after a collision
			err = setTrackingCode(ctx, tx, id, it.TrackingCode)
		}
		return err
	})
	if err != nil {
		return Question{}, err
	}
	return s.Store.FindQuestionByID(ctx, q.ID)
}

func priorityOf(kind string) int {
	if kind == "complaint" || kind == "denunciation" {
		return 1
	}
	return 0
}

// CanSee reports whether viewer may read q: public questions for all; a
// private or unpublished one for its author, the holder of its tracking
// code, and staff.
func CanSee(q Question, viewer *identity.User, code string) bool {
	if q.Public() {
		return true
	}
	if viewer.IsStaff() {
		return true
	}
	if viewer != nil && q.AuthorID != nil && *q.AuthorID == viewer.ID {
		return true
	}
	return code != "" && moderation.NormalizeCode(code) == q.TrackingCode
}

// NewReply is a citizen's reply.
type NewReply struct {
	Body     string `json:"body"`
	Name     string `json:"name"`
	Consent  bool   `json:"consent"`
	AuthorID *int64 `json:"-"`
}

// Reply stores a citizen's reply on a public question and queues it,
// moderated as the question's category says. NotFound when there is no
// question; Conflict ("closed") when it is not public or is closed.
func (s *Service) Reply(ctx context.Context, questionID int64, n NewReply) (_ Reply, err error) {
	defer apperr.Wrap(&err, "forum.Service.Reply(%d)", questionID)
	n.Body, n.Name = strings.TrimSpace(n.Body), strings.TrimSpace(n.Name)
	switch l := utf8.RuneCountInString(n.Body); {
	case !utf8.ValidString(n.Body) || !utf8.ValidString(n.Name):
		return Reply{}, fieldErr("body", "invalid_utf8", "text is not valid UTF-8")
	case l == 0:
		return Reply{}, fieldErr("body", "body_required", "write a reply")
	case l > MaxReply:
		return Reply{}, fieldErr("body", "body_too_long", "the reply is longer than 5000 characters")
	case utf8.RuneCountInString(n.Name) > MaxShort:
		return Reply{}, fieldErr("name", "too_long", "the name is longer than 100 characters")
	}
	if !n.Consent && (n.Name != "" || n.AuthorID != nil) {
		return Reply{}, fieldErr("consent", "consent_required", "agree to how your data is used before sending")
	}
	q, err := s.Store.FindQuestionByID(ctx, questionID)
	if err != nil {
		return Reply{}, err
	}
	if !q.Public() || q.Status == StatusClosed {
		return Reply{}, apperr.Conflictf("closed", "this question does not take replies")
	}
	status, itemStatus := "pending", moderation.StatusPending
	if q.Category.Moderation == "post" {
		status, itemStatus = "published", moderation.StatusApproved
	}
	r := Reply{QuestionID: questionID, AuthorName: n.Name, Body: n.Body, BodyHTML: RenderMarkdown(n.Body), Status: status}
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var consent *time.Time
		if n.Consent {
			now := time.Now()
			consent = &now
		}
		if err := insertReply(ctx, tx, &r, n.AuthorID, consent); err != nil {
			return err
		}
		_, err := s.queue.Enqueue(ctx, tx, moderation.NewItem{
			Source: moderation.SourceForumReply, Ref: strconv.FormatInt(r.ID, 10),
			Title: q.Title, Content: n.Body, Kind: moderation.KindFeedback, CitizenID: n.AuthorID,
			Category: q.Category.Slug, Province: q.Province, Language: q.Language, Status: itemStatus, URL: q.Path(),
		})
		return err
	})
	return r, err
}

// Vote records "I have this question too" once per voter; it reports
// whether the vote was new. The vote is also recorded, uncounted, as each
// of alsoAs (other keys of the same voter), so that the voter coming back
// under one of them is not counted again. NotFound when the question is
// not public.
func (s *Service) Vote(ctx context.Context, questionID int64, voter string, alsoAs ...string) (votes int, added bool, err error) {
	defer apperr.Wrap(&err, "forum.Service.Vote(%d)", questionID)
	hash := func(v string) string {
		sum := sha256.Sum256([]byte(v))
		return hex.EncodeToString(sum[:16])
	}
	also := make([]string, len(alsoAs))
	for i, other := range alsoAs {
		also[i] = hash(other)
	}
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) (err error) {
		votes, added, err = recordVote(ctx, tx, questionID, hash(voter), also)
		return err
	})
	return votes, added, err
}

// Report flags a question (or one of its replies) for moderators. NotFound
// when the question is not public or the reply not published on it.
func (s *Service) Report(ctx context.Context, questionID int64, replyID *int64, reason string, reporter *int64) (_ int64, err error) {
	defer apperr.Wrap(&err, "forum.Service.Report(%d)", questionID)
	reason = strings.TrimSpace(reason)
	if !utf8.ValidString(reason) {
		return 0, fieldErr("reason", "invalid_utf8", "text is not valid UTF-8")
	}
	if reason == "" {
		return 0, fieldErr("reason", "reason_required", "say what is wrong")
	}
	if utf8.RuneCountInString(reason) > 1000 {
		return 0, fieldErr("reason", "too_long", "the reason is longer than 1000 characters")
	}
	q, err := s.Store.FindQuestionByID(ctx, questionID)
	if err != nil {
		return 0, err
	}
	if !q.Public() {
		return 0, apperr.NotFoundf("no such question")
	}
	var id int64
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) (err error) {
		content := q.Body
		if replyID != nil {
			if content, err = findReportedReply(ctx, tx, questionID, *replyID); err != nil {
				return err
			}
		}
		if id, err = insertReport(ctx, tx, questionID, replyID, reporter, reason); err != nil {
			return err
		}
		_, err = s.queue.Enqueue(ctx, tx, moderation.NewItem{
			Source: moderation.SourceReport, Ref: strconv.FormatInt(id, 10), Title: q.Title,
			Content: "Báo cáo / Report: " + reason + "\n\n---\n" + content, Kind: moderation.KindReport, CitizenID: reporter,
			Category: q.Category.Slug, Province: q.Province, Language: q.Language, URL: q.Path(),
			Meta: map[string]any{"question_id": questionID, "reply_id": replyID},
		})
		return err
	})
	return id, err
}

// Reopen lets the asker (by tracking code or as author) reopen an answered
// question once, with a reason, within ReopenWindow of the answer.
// NotFound when no question has code; Conflict when it is not answered
// ("not_answered"), was reopened ("reopened_once") or it is too late
// ("reopen_too_late").
func (s *Service) Reopen(ctx context.Context, code, reason string, viewer *identity.User) (_ Question, err error) {
	defer apperr.Wrap(&err, "forum.Service.Reopen")
	reason = strings.TrimSpace(reason)
	if reason == "" || !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > 2000 {
		return Question{}, fieldErr("reason", "reason_required", "say why the answer does not settle the question")
	}
	q, err := s.Store.FindQuestionByCode(ctx, moderation.NormalizeCode(code))
	if err != nil {
		return Question{}, err
	}
	switch {
	case q.Status != StatusAnswered:
		return Question{}, apperr.Conflictf("not_answered", "only an answered question can be reopened")
	case q.ReopenCount >= 1:
		return Question{}, apperr.Conflictf("reopened_once", "a question can be reopened only once")
	case q.AnsweredAt != nil && time.Since(*q.AnsweredAt) > ReopenWindow:
		return Question{}, apperr.Conflictf("reopen_too_late", "the time to reopen this question has passed")
	}
	var citizen *int64
	if viewer != nil {
		citizen = &viewer.ID
	}
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := reopenQuestion(ctx, tx, q.ID, reason); err != nil {
			return err
		}
		_, err := s.queue.Reopen(ctx, tx, moderation.SourceForumQuestion, strconv.FormatInt(q.ID, 10), citizen, reason)
		return err
	})
	if err != nil {
		return Question{}, err
	}
	return s.Store.FindQuestionByID(ctx, q.ID)
}

// CountView buffers a page view; Flush writes the counts in one statement,
// so a popular question does not turn every page view into a row update.
func (s *Service) CountView(id int64) { s.views.add(id) }

// RunViewFlusher flushes view counts every interval until ctx ends.
func (s *Service) RunViewFlusher(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.flushViews(context.Background())
			return
		case <-t.C:
			s.flushViews(ctx)
		}
	}
}

func (s *Service) flushViews(ctx context.Context) {
	counts := s.views.take()
	if err := s.Store.AddViews(ctx, counts); err != nil {
		s.log.Warn("flush view counts", "err", err, "questions", len(counts))
	}
}

// viewCounter is guarded by mu; any goroutine may add, the flusher takes.
type viewCounter struct {
	mu     sync.Mutex
	counts map[int64]int64
}

func (v *viewCounter) add(id int64) {
	v.mu.Lock()
	v.counts[id]++
	v.mu.Unlock()
}

func (v *viewCounter) take() map[int64]int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	c := v.counts
	v.counts = make(map[int64]int64, len(c))
	return c
}
