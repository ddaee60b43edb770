package forum

import (
	"context"
	"strings"
	"testing"
)

// TestQuestionPlanDoesNotScanViews: a node prepares the question query
// once and PostgreSQL keeps its generic plan. If that plan was made while
// forum_question_views was empty next to a full forum_questions (a fresh
// load, an import, a purge), it scanned the whole views table on every
// page miss as the flusher filled it: in the issue-15 run, 19,758 seq scans
// reading 154 M rows in 30 s, PostgreSQL at a full core, p99 101 ms. Every
// question now has its views row from the start, so the statistics of the
// two tables grow together and the plan is an index look-up.
func TestQuestionPlanDoesNotScanViews(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	pool := f.svc.pool
	if _, err := pool.Exec(ctx, `
		INSERT INTO forum_questions (category_id, title, slug, body, body_html, language, status, tracking_code, published_at)
		SELECT (SELECT min(id) FROM forum_categories), 'Câu hỏi ' || g, 'cau-hoi-' || g, 'Nội dung ' || g, '<p>Nội dung</p>', 'vi',
			'published', 'VP' || lpad(g::text, 10, '0'), now()
		FROM generate_series(1, 20000) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `VACUUM (ANALYZE) forum_questions, forum_question_views`); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM forum_questions q WHERE NOT EXISTS (SELECT 1 FROM forum_question_views v WHERE v.question_id = q.id)`); n != 0 {
		t.Errorf("%d questions without a views row", n)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	// The plan a node's statement cache settles on, made now, used after
	// the flusher has filled the table.
	if _, err := conn.Exec(ctx, `SET plan_cache_mode = force_generic_plan`); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.Background(), `RESET plan_cache_mode; DEALLOCATE ALL`)
	if _, err := conn.Exec(ctx, `PREPARE question_page(bigint) AS SELECT `+questionColumns+questionFrom+`WHERE q.id = $1`); err != nil {
		t.Fatal(err)
	}
	var lines []string
	rows, err := conn.Query(ctx, `EXPLAIN EXECUTE question_page(1)`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	if !strings.Contains(plan, "forum_question_views") {
		t.Fatalf("the plan does not read forum_question_views at all:\n%s", plan)
	}
	if strings.Contains(plan, "Seq Scan on forum_question_views") {
		t.Fatalf("the generic plan scans the views table:\n%s", plan)
	}
}
