package forum

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/vntext"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SearchResult is one hit, with an HTML snippet whose matches are marked.
type SearchResult struct {
	ID      int64   `json:"id"`
	Title   string  `json:"title"`
	Snippet string  `json:"snippet"`
	URL     string  `json:"url"`
	Status  string  `json:"status"`
	Rank    float32 `json:"rank"`
	// InAnswer: the snippet is from the official answer.
	InAnswer bool `json:"in_answer,omitempty"`
}

// searchCandidates caps how many matches are ranked. A word found in a
// hundred thousand questions would otherwise be ranked a hundred thousand
// times per query; past the cap, ranking is among the first matches the
// index yields. Rare queries, the ones people search for, rank fully.
const searchCandidates = 200

// Search finds public questions whose folded text (title, body and
// official answer) contains every word of
// the query (tone marks, case and Unicode form ignored), best first; when
// no question has them all, any word will do. Served from the GIN index on
// search_vec, never a scan.
func (s *Store) Search(ctx context.Context, query string, limit, offset int) (_ []SearchResult, err error) {
	defer apperr.Wrap(&err, "forum.Store.Search")
	terms := vntext.Terms(query)
	if len(terms) == 0 {
		return nil, apperr.Invalidf("query_required", "type one or more words to search for")
	}
	if len(terms) > 12 {
		terms = terms[:12]
	}
	if limit <= 0 || limit > 50 {
		limit = 20
	}
	// When every word is common, the GIN index must intersect lists of
	// hundreds of thousands of questions, while the newest questions hold
	// matches aplenty: look there first.
	common := s.lexemes.allCommon(ctx, s.pool, terms)
	for _, op := range []string{" & ", " | "} {
		tsquery := strings.Join(quoteTerms(terms), op)
		if common {
			res, err := s.searchRecent(ctx, tsquery, query, limit, offset)
			if err != nil || len(res) == limit {
				return res, err
			}
		}
		res, err := s.search(ctx, tsquery, query, limit, offset)
		if err != nil || len(res) > 0 || len(terms) == 1 {
			return res, err
		}
	}
	return nil, nil
}

// recentWindow is how many of the newest public questions searchRecent
// looks through; commonShare is the share of questions a word must be in
// for it to count as common (ANALYZE's statistics of search_vec say).
const (
	recentWindow = 3000
	commonShare  = 0.02
)

// lexemeCache holds the frequent lexemes of search_vec from pg_stats,
// refreshed every ten minutes.
type lexemeCache struct {
	mu   sync.Mutex
	at   time.Time
	freq map[string]float32
}

func (c *lexemeCache) allCommon(ctx context.Context, pool *pgxpool.Pool, terms []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > 10*time.Minute {
		c.at = time.Now() // a failed refresh waits for the next turn too
		var elems []string
		var freqs []float32
		err := pool.QueryRow(ctx, `SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats
			WHERE schemaname = current_schema() AND tablename = 'forum_questions' AND attname = 'search_vec'`).Scan(&elems, &freqs)
		c.freq = map[string]float32{}
		if err == nil {
			for i, e := range elems {
				if i < len(freqs) {
					c.freq[e] = freqs[i]
				}
			}
		}
	}
	for _, t := range terms {
		if c.freq[t] < commonShare {
			return false
		}
	}
	return true
}

// searchRecent ranks the matches among the newest public questions.
func (s *Store) searchRecent(ctx context.Context, tsquery, query string, limit, offset int) ([]SearchResult, error) {
	return s.collect(s.pool.Query(ctx, `
		WITH m AS (
			SELECT q.id, q.title, q.body, q.answer_text, q.slug, q.status, q.search_vec
			FROM (SELECT id, title, body, answer_text, slug, status, search_vec FROM forum_questions q
			      WHERE `+publicCond+` ORDER BY q.created_at DESC, q.id DESC LIMIT $5) q
			WHERE q.search_vec @@ to_tsquery('simple', $1)
			LIMIT $4
		)
		SELECT id, title, body, answer_text, slug, status, ts_rank_cd(search_vec, to_tsquery('simple', $1)) AS rank
		FROM m ORDER BY rank DESC, id DESC LIMIT $2 OFFSET $3`, tsquery, limit, offset, searchCandidates, recentWindow))(query)
}

// quoteTerms makes each folded word a tsquery lexeme literal.
func quoteTerms(terms []string) []string {
	out := make([]string, len(terms))
	for i, t := range terms {
		out[i] = "'" + strings.ReplaceAll(t, "'", "''") + "'"
	}
	return out
}

func (s *Store) search(ctx context.Context, tsquery, query string, limit, offset int) ([]SearchResult, error) {
	return s.collect(s.pool.Query(ctx, `
		WITH m AS (
			SELECT q.id, q.title, q.body, q.answer_text, q.slug, q.status, q.search_vec
			FROM forum_questions q
			WHERE `+publicCond+` AND q.search_vec @@ to_tsquery('simple', $1)
			LIMIT $4
		)
		SELECT id, title, body, answer_text, slug, status, ts_rank_cd(search_vec, to_tsquery('simple', $1)) AS rank
		FROM m ORDER BY rank DESC, id DESC LIMIT $2 OFFSET $3`, tsquery, limit, offset, searchCandidates))(query)
}

func (s *Store) collect(rows pgx.Rows, err error) func(query string) ([]SearchResult, error) {
	return func(query string) ([]SearchResult, error) {
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(row pgx.CollectableRow) (SearchResult, error) {
			var r SearchResult
			var body, answer, slug string
			if err := row.Scan(&r.ID, &r.Title, &body, &answer, &slug, &r.Status, &r.Rank); err != nil {
				return r, err
			}
			// The snippet shows where the words are: the question, or the
			// official answer when more of them are there, else the title.
			r.Snippet = vntext.SnippetQuery(body, query, 180)
			if answer != "" {
				if a := vntext.SnippetQuery(answer, query, 180); strings.Count(a, "<mark>") > strings.Count(r.Snippet, "<mark>") {
					r.Snippet, r.InAnswer = a, true
				}
			}
			if !strings.Contains(r.Snippet, "<mark>") {
				r.Snippet = vntext.SnippetQuery(r.Title+" — "+body, query, 180)
			}
			r.URL = Question{ID: r.ID, Slug: slug}.Path()
			return r, nil
		})
	}
}

// TitleHTML is the title with query words marked, for the results page.
func TitleHTML(title, query string) string {
	return vntext.SnippetQuery(title, query, 400)
}
