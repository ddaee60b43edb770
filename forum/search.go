package forum

import (
	"context"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/vntext"
	"github.com/jackc/pgx/v5"
)

// SearchResult is one hit, with an HTML snippet whose matches are marked.
type SearchResult struct {
	ID      int64   `json:"id"`
	Title   string  `json:"title"`
	Snippet string  `json:"snippet"`
	URL     string  `json:"url"`
	Status  string  `json:"status"`
	Rank    float32 `json:"rank"`
}

// searchCandidates caps how many matches are ranked. A word found in a
// hundred thousand questions would otherwise be ranked a hundred thousand
// times per query; past the cap, ranking is among the first matches the
// index yields. Rare queries, the ones people search for, rank fully.
const searchCandidates = 2000

// Search finds public questions whose folded text contains every word of
// the query (tone marks, case and Unicode form ignored), best first; when
// no question has them all, any word will do. Served from the GIN index on
// search_vec, never a scan.
func (s *Store) Search(ctx context.Context, query string, limit, offset int) ([]SearchResult, error) {
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
	for _, op := range []string{" & ", " | "} {
		res, err := s.search(ctx, strings.Join(quoteTerms(terms), op), terms, limit, offset)
		if err != nil || len(res) > 0 || len(terms) == 1 {
			return res, err
		}
	}
	return nil, nil
}

// quoteTerms makes each folded word a tsquery lexeme literal.
func quoteTerms(terms []string) []string {
	out := make([]string, len(terms))
	for i, t := range terms {
		out[i] = "'" + strings.ReplaceAll(t, "'", "''") + "'"
	}
	return out
}

func (s *Store) search(ctx context.Context, tsquery string, terms []string, limit, offset int) ([]SearchResult, error) {
	rows, err := s.pool.Query(ctx, `
		WITH m AS (
			SELECT q.id, q.title, q.body, q.slug, q.status, q.search_vec
			FROM forum_questions q
			WHERE `+publicCond+` AND q.search_vec @@ to_tsquery('simple', $1)
			LIMIT $4
		)
		SELECT id, title, body, slug, status, ts_rank_cd(search_vec, to_tsquery('simple', $1)) AS rank
		FROM m ORDER BY rank DESC, id DESC LIMIT $2 OFFSET $3`, tsquery, limit, offset, searchCandidates)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (SearchResult, error) {
		var r SearchResult
		var body, slug string
		if err := row.Scan(&r.ID, &r.Title, &body, &slug, &r.Status, &r.Rank); err != nil {
			return r, err
		}
		r.Snippet = vntext.Snippet(body, terms, 180)
		if !strings.Contains(r.Snippet, "<mark>") { // the match is in the title
			r.Snippet = vntext.Snippet(r.Title+" — "+body, terms, 180)
		}
		r.URL = Question{ID: r.ID, Slug: slug}.Path()
		return r, nil
	})
}

// TitleHTML is the title with query words marked, for the results page.
func TitleHTML(title, query string) string {
	return vntext.Snippet(title, vntext.Terms(query), 400)
}
