package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/doithoai/doithoai/internal/blob"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/jackc/pgx/v5/pgxpool"
)

// mustSeedDemo runs `doithoai seed --demo` against dbURL with DATA_DIR dataDir.
func mustSeedDemo(t *testing.T, dbURL, dataDir string) {
	t.Helper()
	env := map[string]string{"DATABASE_URL": dbURL, "DATA_DIR": dataDir, "DISABLE_SIP": "true", "LOG_LEVEL": "warn"}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"doithoai", "seed", "--demo"}, func(k string) string { return env[k] },
		strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("doithoai seed --demo: %v\n%s", err, out.String())
	}
}

// demoCounts is what the living demo promises, counted in the database.
var demoCounts = []struct {
	what, sql string
	want      int
}{
	{"answered public questions", `SELECT count(*) FROM forum_questions WHERE status = 'answered' AND visibility = 'public'`, 3},
	{"answered private question", `SELECT count(*) FROM forum_questions WHERE status = 'answered' AND visibility = 'private'`, 1},
	{"pending questions", `SELECT count(*) FROM forum_questions WHERE status = 'pending'`, 4},
	{"published, unanswered", `SELECT count(*) FROM forum_questions WHERE status = 'published'`, 2},
	{"rejected question", `SELECT count(*) FROM forum_questions WHERE status = 'rejected'`, 1},
	{"published citizens' replies", `SELECT count(*) FROM forum_replies WHERE status = 'published' AND NOT official`, 4},
	{"official answers", `SELECT count(*) FROM forum_replies WHERE official`, 4},
	{"finished live dialogue", `SELECT count(*) FROM live_sessions WHERE ended_at IS NOT NULL`, 1},
	{"upcoming live dialogue", `SELECT count(*) FROM live_sessions WHERE ended_at IS NULL AND starts_at > now()`, 1},
	{"live questions answered on the air", `SELECT count(*) FROM live_questions WHERE status = 'answered'`, 2},
	{"live question refused", `SELECT count(*) FROM live_questions WHERE status = 'rejected'`, 1},
	{"hotline tickets with a recording", `SELECT count(*) FROM hotline_tickets WHERE recording_path <> ''`, 2},
	{"callback task", `SELECT count(*) FROM hotline_callbacks`, 1},
	{"chat transcript in the queue", `SELECT count(*) FROM moderation_items WHERE source = 'chat_conversation' AND content LIKE '%khai sinh%'`, 1},
	{"directives", `SELECT count(*) FROM directives`, 2},
	{"overdue directive flagged", `SELECT count(*) FROM directives WHERE escalated_at IS NOT NULL AND deadline < now()`, 1},
	{"directive audit by the system", `SELECT count(*) FROM moderation_audit WHERE action = 'directive_overdue' AND actor_id IS NULL`, 1},
}

// TestSeedDemo: `make run`'s seed gives a living demo made by the services
// (queue items, audit, SLA, escalation), and seeding twice adds nothing.
func TestSeedDemo(t *testing.T) {
	dbURL := testenv.NewDBURL(t)
	dataDir := t.TempDir()
	MustRun(t, dbURL, "", "migrate")
	mustSeedDemo(t, dbURL, dataDir)
	mustSeedDemo(t, dbURL, dataDir)

	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx := context.Background()
	for _, c := range demoCounts {
		var n int
		if err := pool.QueryRow(ctx, c.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if n != c.want {
			t.Errorf("%s: %d after two seeds, want %d", c.what, n, c.want)
		}
	}
	// Every channel row has its queue item, and the SLA job found overdue work.
	var orphans, escalated, overdueOpen int
	if err := pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM forum_questions q WHERE NOT EXISTS (SELECT 1 FROM moderation_items i WHERE i.source = 'forum_question' AND i.ref = q.id::text)),
		(SELECT count(*) FROM moderation_items WHERE escalated),
		(SELECT count(*) FROM moderation_items WHERE status IN ('pending', 'approved', 'info_requested') AND due_at < now())`).Scan(&orphans, &escalated, &overdueOpen); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 || escalated < 2 || overdueOpen < 2 {
		t.Errorf("questions without a queue item %d (want 0), escalated items %d, overdue open items %d (want ≥ 2 each)", orphans, escalated, overdueOpen)
	}
	// The recordings are real WAV files in the blob store, under the tickets' keys.
	rows, err := pool.Query(ctx, `SELECT recording_path FROM hotline_tickets`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var rel string
		if err := rows.Scan(&rel); err != nil {
			t.Fatal(err)
		}
		b, err := blob.ReadAll(ctx, blob.NewPostgres(pool), rel, 1<<24)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 8000 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
			t.Errorf("recording %s is not a WAV with sound (%d bytes)", rel, len(b))
		}
	}
}
