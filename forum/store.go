package forum

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is the forum's storage. A Find of one row returns a NotFound
// apperr when there is none; a list returns no error for no rows. Public
// methods wrap their errors with the operation (apperr.Wrap).
type Store struct {
	pool    *pgxpool.Pool
	lexemes *lexemeCache
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, lexemes: &lexemeCache{}} }

// publicCond is the condition of every public listing; it matches the
// partial indexes of migrations/00010_forum.sql word for word.
const publicCond = `q.status IN ('published', 'answered', 'closed') AND q.visibility = 'public'`

const questionColumns = `q.id, c.id, c.slug, c.name, c.name_en, c.description, c.moderation,
	q.author_id, q.author_name, q.contact, q.title, q.slug, q.body, q.body_html, q.kind, q.visibility,
	q.province, q.district, q.commune, q.language, q.status, q.reject_reason, q.info_request, q.duplicate_of,
	q.tracking_code, q.votes, COALESCE(v.views, 0), q.reopen_count, q.created_at, q.published_at, q.answered_at`

// View counts live in their own narrow table (migration 00076).
const questionFrom = ` FROM forum_questions q JOIN forum_categories c ON c.id = q.category_id
	LEFT JOIN forum_question_views v ON v.question_id = q.id `

func scanQuestion(row pgx.CollectableRow) (Question, error) {
	var q Question
	err := row.Scan(&q.ID, &q.Category.ID, &q.Category.Slug, &q.Category.Name, &q.Category.NameEN, &q.Category.Description, &q.Category.Moderation,
		&q.AuthorID, &q.AuthorName, &q.Contact, &q.Title, &q.Slug, &q.Body, &q.BodyHTML, &q.Kind, &q.Visibility,
		&q.Province, &q.District, &q.Commune, &q.Language, &q.Status, &q.RejectReason, &q.InfoRequest, &q.DuplicateOf,
		&q.TrackingCode, &q.Votes, &q.Views, &q.ReopenCount, &q.CreatedAt, &q.PublishedAt, &q.AnsweredAt)
	q.URL = q.Path()
	return q, err
}

func findQuestion(ctx context.Context, dbq db.Querier, where string, args ...any) (Question, error) {
	rows, err := dbq.Query(ctx, `SELECT `+questionColumns+questionFrom+`WHERE `+where, args...)
	if err != nil {
		return Question{}, err
	}
	q, err := pgx.CollectExactlyOneRow(rows, scanQuestion)
	if errors.Is(err, pgx.ErrNoRows) {
		return q, apperr.NotFoundf("no such question")
	}
	return q, err
}

// FindQuestionByID returns a question whatever its status; callers decide
// who may see it. NotFound when there is no question id.
func (s *Store) FindQuestionByID(ctx context.Context, id int64) (_ Question, err error) {
	defer apperr.Wrap(&err, "forum.Store.FindQuestionByID(%d)", id)
	return findQuestion(ctx, s.pool, `q.id = $1`, id)
}

// FindQuestionByCode returns the question of a tracking code; NotFound
// when no question has it.
func (s *Store) FindQuestionByCode(ctx context.Context, code string) (_ Question, err error) {
	defer apperr.Wrap(&err, "forum.Store.FindQuestionByCode")
	return findQuestion(ctx, s.pool, `q.tracking_code = $1`, code)
}

// FindQuestions lists public questions with the total count.
func (s *Store) FindQuestions(ctx context.Context, f QuestionFilter) (_ []Question, _ int, err error) {
	defer apperr.Wrap(&err, "forum.Store.FindQuestions")
	where, args := []string{publicCond}, []any{}
	if f.CategoryID != nil {
		args = append(args, *f.CategoryID)
		where = append(where, fmt.Sprintf("q.category_id = $%d", len(args)))
	}
	order := "q.created_at DESC, q.id DESC"
	switch f.Sort {
	case SortMostAsk:
		order = "q.votes DESC, q.id DESC"
	case SortAnswered:
		where = append(where, "q.answered_at IS NOT NULL", "q.status IN ('answered', 'closed')")
		order = "q.answered_at DESC, q.id DESC"
	}
	if f.AnsweredOnly && f.Sort != SortAnswered {
		where = append(where, "q.answered_at IS NOT NULL", "q.status IN ('answered', 'closed')")
	}
	if f.PerPage <= 0 || f.PerPage > 100 {
		f.PerPage = 20
	}
	if f.Page < 1 {
		f.Page = 1
	}
	cond := strings.Join(where, " AND ")
	var total int
	// Counting a million rows on every page view would be the slowest part
	// of the page; cap the count (pagination shows "many" past the cap).
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM forum_questions q WHERE `+cond+` LIMIT 10000) t`, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+questionColumns+questionFrom+`WHERE `+cond+
		fmt.Sprintf(` ORDER BY %s LIMIT %d OFFSET %d`, order, f.PerPage, (f.Page-1)*f.PerPage), args...)
	if err != nil {
		return nil, 0, err
	}
	qs, err := pgx.CollectRows(rows, scanQuestion)
	return qs, total, err
}

// FindQuestionsByAuthor lists a signed-in citizen's own questions, all statuses.
func (s *Store) FindQuestionsByAuthor(ctx context.Context, authorID int64) (_ []Question, err error) {
	defer apperr.Wrap(&err, "forum.Store.FindQuestionsByAuthor(%d)", authorID)
	rows, err := s.pool.Query(ctx, `SELECT `+questionColumns+questionFrom+`WHERE q.author_id = $1 ORDER BY q.created_at DESC LIMIT 200`, authorID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanQuestion)
}

// FindCategories lists categories in display order.
func (s *Store) FindCategories(ctx context.Context) (_ []Category, err error) {
	defer apperr.Wrap(&err, "forum.Store.FindCategories")
	rows, err := s.pool.Query(ctx, `SELECT id, slug, name, name_en, description, moderation FROM forum_categories ORDER BY position, name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Category])
}

// FindCategoryBySlug returns one category; NotFound when none has slug.
func (s *Store) FindCategoryBySlug(ctx context.Context, slug string) (_ Category, err error) {
	defer apperr.Wrap(&err, "forum.Store.FindCategoryBySlug(%q)", slug)
	rows, err := s.pool.Query(ctx, `SELECT id, slug, name, name_en, description, moderation FROM forum_categories WHERE slug = $1`, slug)
	if err != nil {
		return Category{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Category])
	if errors.Is(err, pgx.ErrNoRows) {
		return c, apperr.NotFoundf("no such category")
	}
	return c, err
}

// FindReplies lists the replies of a question that the public may see,
// official answers first. withPending also returns the asker's own view
// (never pending replies of others).
func (s *Store) FindReplies(ctx context.Context, questionID int64) (_ []Reply, err error) {
	defer apperr.Wrap(&err, "forum.Store.FindReplies(%d)", questionID)
	rows, err := s.pool.Query(ctx, `
		SELECT id, question_id, author_name, body, body_html, official, status, created_at
		FROM forum_replies WHERE question_id = $1 AND status = 'published'
		ORDER BY official DESC, created_at, id`, questionID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Reply])
}

// FindOfficialAnswer returns the latest official answer, nil (and no
// error) when there is none.
func (s *Store) FindOfficialAnswer(ctx context.Context, questionID int64) (_ *Reply, err error) {
	defer apperr.Wrap(&err, "forum.Store.FindOfficialAnswer(%d)", questionID)
	rows, err := s.pool.Query(ctx, `
		SELECT id, question_id, author_name, body, body_html, official, status, created_at
		FROM forum_replies WHERE question_id = $1 AND official AND status = 'published'
		ORDER BY created_at DESC, id DESC LIMIT 1`, questionID)
	if err != nil {
		return nil, err
	}
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Reply])
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return &r, err
}

// AddViews adds buffered view counts (see viewCounter).
func (s *Store) AddViews(ctx context.Context, counts map[int64]int64) error {
	if len(counts) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(counts))
	ns := make([]int64, 0, len(counts))
	for id, n := range counts {
		ids = append(ids, id)
		ns = append(ns, n)
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO forum_question_views AS fv (question_id, views)
		SELECT v.id, v.n FROM unnest($1::bigint[], $2::bigint[]) AS v(id, n)
		WHERE EXISTS (SELECT 1 FROM forum_questions q WHERE q.id = v.id)
		ORDER BY v.id -- one lock order for every node's flush
		ON CONFLICT (question_id) DO UPDATE SET views = fv.views + EXCLUDED.views`, ids, ns)
	return err
}
