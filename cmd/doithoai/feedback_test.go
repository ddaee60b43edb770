package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/auth"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// feedbackDB is a test's direct line to a node's database: items enter
// the queue the way a channel enqueues them.
type feedbackDB struct {
	t    *testing.T
	pool *pgxpool.Pool
	svc  *moderation.Service
}

var feedbackRefs atomic.Int64

func newFeedbackDB(t *testing.T, url string) *feedbackDB {
	t.Helper()
	pool, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &feedbackDB{t: t, pool: pool, svc: moderation.NewService(pool, 15*time.Minute, testenv.Logger(t))}
}

// MustEnqueue adds an item in a transaction of its own, as a channel does.
func (d *feedbackDB) MustEnqueue(n moderation.NewItem) moderation.Item {
	d.t.Helper()
	if n.Ref == "" {
		n.Ref = fmt.Sprintf("fb-%d", feedbackRefs.Add(1))
	}
	if n.Content == "" {
		n.Content = "Nội dung phản ánh của người dân"
	}
	var it moderation.Item
	err := db.InTx(context.Background(), d.pool, func(tx pgx.Tx) (err error) {
		it, err = d.svc.Enqueue(context.Background(), tx, n)
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return it
}

// MustExec runs SQL (to backdate items, as if they had waited).
func (d *feedbackDB) MustExec(sql string, args ...any) {
	d.t.Helper()
	if _, err := d.pool.Exec(context.Background(), sql, args...); err != nil {
		d.t.Fatal(err)
	}
}

func (d *feedbackDB) Count(sql string, args ...any) int {
	d.t.Helper()
	var n int
	if err := d.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		d.t.Fatal(err)
	}
	return n
}

// staffClients gives one client per role (and an anonymous one), each with
// a session made in the database: these tests are about what each role may
// do, not about logging in, and skipping argon2 keeps them fast under -race.
func staffClients(t *testing.T, n *node, d *feedbackDB) map[string]*client {
	t.Helper()
	out := map[string]*client{"anonymous": newClient(t, n)}
	store := auth.NewStore(d.pool)
	for role, login := range map[string]string{"citizen": "0977111222", "moderator": "kiemduyet", "leader": "lanhdao-tinh", "admin": "quantri-he-thong"} {
		id := d.Count(`INSERT INTO users (login, role, password_hash) VALUES ($1, $2, 'no password') RETURNING id`, login, role)
		token, err := store.CreateSession(context.Background(), int64(id), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c := newClient(t, n)
		c.Bearer = token
		out[role] = c
	}
	return out
}

// MustAsk asks a question in the forum over the API and returns its
// moderation item's id: items that staff act on must be real channel
// items, since the channel applies each decision.
func (d *feedbackDB) MustAsk(c *client, title, category, province, lang string) int64 {
	d.t.Helper()
	var q struct{ ID int64 }
	r := c.Do("POST", "/api/v1/questions", map[string]any{"title": title, "category": category, "province": province, "language": lang, "consent": true,
		"body": "Xin cơ quan chức năng trả lời giúp bà con trong bản. " + title}, &q)
	if r.StatusCode != 201 {
		b, _ := io.ReadAll(r.Body)
		d.t.Fatalf("ask: %d %s", r.StatusCode, b)
	}
	return int64(d.Count(`SELECT id FROM moderation_items WHERE source = 'forum_question' AND ref = $1`, fmt.Sprint(q.ID)))
}

// mustSeededFeedbackNode is a node with the demo categories and
// departments (the domains' seed, without the demo accounts).
func mustSeededFeedbackNode(t *testing.T, dbURL string) *node {
	t.Helper()
	n := MustStartNode(t, dbURL)
	pool, err := db.Open(context.Background(), n.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := seedDomains(context.Background(), pool, testenv.Logger(t)); err != nil {
		t.Fatal(err)
	}
	return n
}

var roles = []string{"anonymous", "citizen", "moderator", "leader", "admin"}

// TestFeedbackRoleMatrix: figures and the inbox are for leaders and admins,
// directive tracking for staff, directives and sign-off for leaders alone;
// citizens and anonymous users get JSON 403 and 401.
func TestFeedbackRoleMatrix(t *testing.T) {
	t.Parallel()
	n := mustSeededFeedbackNode(t, "")
	d := newFeedbackDB(t, n.DBURL)
	cs := staffClients(t, n, d)
	itemID := d.MustAsk(cs["anonymous"], "Hỏi về chế độ hộ nghèo", "chinh-sach-xa-hoi", "Điện Biên", "th")
	path := fmt.Sprintf("/api/v1/moderation/items/%d", itemID)

	type want map[string]int // role → status
	leadersOnly := want{"anonymous": 401, "citizen": 403, "moderator": 403, "leader": 200, "admin": 200}
	for _, tc := range []struct {
		method, path string
		body         any
		want         want
	}{
		{"GET", "/api/v1/feedback/summary", nil, leadersOnly},
		{"GET", "/api/v1/feedback/summary?from=2026-01-01&to=2026-01-31", nil, leadersOnly},
		{"GET", "/api/v1/feedback/export.csv", nil, leadersOnly},
		{"GET", "/api/v1/feedback/trend", nil, leadersOnly},
		{"GET", "/api/v1/feedback/escalated", nil, leadersOnly},
		{"GET", "/api/v1/directives", nil, want{"anonymous": 401, "citizen": 403, "moderator": 200, "leader": 200, "admin": 200}},
		{"POST", path + "/directive", map[string]string{"note": "Trả lời trong tuần"}, want{"anonymous": 401, "citizen": 403, "moderator": 403, "admin": 403, "leader": 200}},
		{"POST", fmt.Sprintf("/api/v1/feedback/items/%d/sign-off", itemID), map[string]string{"note": "Đồng ý"}, want{"anonymous": 401, "citizen": 403, "moderator": 403, "admin": 403, "leader": 200}},
	} {
		for _, role := range roles {
			t.Run(role+" "+tc.method+" "+tc.path, func(t *testing.T) {
				resp := cs[role].Do(tc.method, tc.path, tc.body, nil)
				if w := tc.want[role]; w >= 400 {
					wantError(t, resp, w, map[int]string{401: "login_required", 403: "forbidden"}[w])
				} else if resp.StatusCode != w {
					body, _ := io.ReadAll(resp.Body)
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, w, body)
				}
			})
		}
	}

	t.Run("DirectiveDone", func(t *testing.T) {
		var list struct {
			Directives []struct {
				ID     int64
				Status string
			}
		}
		cs["moderator"].Do("GET", fmt.Sprintf("/api/v1/directives?item=%d", itemID), nil, &list)
		if len(list.Directives) != 1 || list.Directives[0].Status != "open" {
			t.Fatalf("directives of the item: %+v", list)
		}
		done := fmt.Sprintf("/api/v1/directives/%d/done", list.Directives[0].ID)
		wantError(t, cs["anonymous"].Do("POST", done, nil, nil), 401, "login_required")
		wantError(t, cs["citizen"].Do("POST", done, nil, nil), 403, "forbidden")
		var out struct{ Status string }
		if r := cs["moderator"].Do("POST", done, map[string]string{"note": "Đã trả lời người dân"}, &out); r.StatusCode != 200 || out.Status != "done" {
			t.Fatalf("moderator marks done: %d %+v", r.StatusCode, out)
		}
		wantError(t, cs["leader"].Do("POST", done, nil, nil), 409, "directive_done")
		wantError(t, cs["moderator"].Do("POST", "/api/v1/directives/987654/done", nil, nil), 404, "not_found")
	})

	t.Run("Pages", func(t *testing.T) {
		for _, tc := range []struct {
			path string
			want want
		}{
			{"/dashboard", want{"anonymous": 303, "citizen": 403, "moderator": 403, "leader": 200, "admin": 200}},
			{"/dashboard/print", want{"anonymous": 303, "citizen": 403, "moderator": 403, "leader": 200, "admin": 200}},
			{"/dashboard/escalated", want{"anonymous": 303, "citizen": 403, "moderator": 403, "leader": 200, "admin": 200}},
			{"/directives", want{"anonymous": 303, "citizen": 403, "moderator": 200, "leader": 200, "admin": 200}},
		} {
			for _, role := range roles {
				resp := cs[role].Do("GET", tc.path, nil, nil)
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tc.want[role] {
					t.Errorf("%s %s: %d, want %d", role, tc.path, resp.StatusCode, tc.want[role])
				}
				if resp.StatusCode == 303 && !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
					t.Errorf("%s %s: redirected to %q", role, tc.path, resp.Header.Get("Location"))
				}
				if resp.StatusCode == 200 && bytes.Contains(body, []byte("<script")) {
					t.Errorf("%s needs JavaScript: it has a <script>", tc.path)
				}
			}
		}
	})
}

// TestFeedbackSummaryAndExport: items from several channels, handled over
// the API; the summary's figures and the CSV export match what was done.
func TestFeedbackSummaryAndExport(t *testing.T) {
	t.Parallel()
	n := mustSeededFeedbackNode(t, "")
	d := newFeedbackDB(t, n.DBURL)
	cs := staffClients(t, n, d)
	past := time.Now().Add(-time.Hour)
	q1 := d.MustAsk(cs["anonymous"], "Đường vào bản Sà Phìn bị sạt lở", "giao-thong-ha-tang", "Lào Cai", "vi")
	q2 := d.MustAsk(cs["citizen"], "Hỏi về hỗ trợ nhà ở", "chinh-sach-xa-hoi", "Hà Giang", "hmn")
	items := []moderation.Item{
		{ID: q1}, {ID: q2},
		d.MustEnqueue(moderation.NewItem{Source: moderation.SourceHotlineTicket, Title: `=HYPERLINK("http://x","bấm")`, Category: "chinh-sach-xa-hoi", Province: "Lào Cai", Language: "tay", DueAt: &past}),
		d.MustEnqueue(moderation.NewItem{Source: moderation.SourceChatConversation, Title: "Trò chuyện, \"có dấu ngoặc\", và dấu phẩy"}),
	}
	d.MustExec(`UPDATE moderation_items SET created_at = created_at - interval '20 minutes' WHERE id = $1`, items[0].ID)
	d.MustExec(`UPDATE moderation_items SET created_at = created_at - interval '100 minutes' WHERE id = $1`, items[1].ID)
	mod := cs["moderator"]
	for i, id := range []int64{items[0].ID, items[1].ID} {
		base := fmt.Sprintf("/api/v1/moderation/items/%d/", id)
		if r := mod.Do("POST", base+"claim", nil, nil); r.StatusCode != 200 {
			t.Fatalf("claim %d: %d", id, r.StatusCode)
		}
		if r := mod.Do("POST", base+"answer", map[string]string{"body": fmt.Sprintf("Trả lời số %d", i)}, nil); r.StatusCode != 200 {
			t.Fatalf("answer %d: %d", id, r.StatusCode)
		}
	}

	var s struct {
		Total                        int
		ByChannel                    map[string]int `json:"by_channel"`
		ByStatus                     map[string]int `json:"by_status"`
		ByCategory                   map[string]int `json:"by_category"`
		ByProvince                   map[string]int `json:"by_province"`
		ByLanguage                   map[string]int `json:"by_language"`
		MedianMinutesToFirstResponse *float64       `json:"median_minutes_to_first_response"`
		MedianMinutesToAnswer        *float64       `json:"median_minutes_to_answer"`
		Overdue                      int
	}
	if r := cs["leader"].Do("GET", "/api/v1/feedback/summary", nil, &s); r.StatusCode != 200 {
		t.Fatalf("summary %d", r.StatusCode)
	}
	if s.Total != 4 || s.ByChannel["hotline_ticket"] != 1 || s.ByChannel["forum_question"] != 2 || s.ByChannel["chat_conversation"] != 1 ||
		s.ByStatus["answered"] != 2 || s.ByStatus["pending"] != 2 || s.ByProvince["Lào Cai"] != 2 || s.ByProvince["Hà Giang"] != 1 ||
		s.ByProvince["unspecified"] != 1 || s.ByCategory["chinh-sach-xa-hoi"] != 2 || s.ByLanguage["hmn"] != 1 || s.Overdue != 1 {
		t.Fatalf("summary %+v", s)
	}
	if m := s.MedianMinutesToAnswer; m == nil || *m < 59.5 || *m > 60.5 {
		t.Fatalf("median minutes to answer %v, want 60 (20 and 100)", m)
	}
	if m := s.MedianMinutesToFirstResponse; m == nil || *m < 59.5 || *m > 60.5 {
		t.Fatalf("median minutes to first response %v, want 60", m)
	}
	wantError(t, cs["leader"].Do("GET", "/api/v1/feedback/summary?from=2026-05-31&to=2026-05-01", nil, nil), 400, "bad_range")
	wantError(t, cs["leader"].Do("GET", "/api/v1/feedback/summary?from=hôm-qua", nil, nil), 400, "bad_range")

	t.Run("CSV", func(t *testing.T) {
		resp := cs["admin"].Do("GET", "/api/v1/feedback/export.csv?raw=1", nil, nil) // codes, for scripts
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), `attachment; filename="doithoai-feedback-`) {
			t.Fatalf("export %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
		}
		if !bytes.HasPrefix(body, []byte{0xEF, 0xBB, 0xBF}) {
			t.Fatalf("no UTF-8 byte-order mark: % x", body[:min(8, len(body))])
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte{0xEF, 0xBB, 0xBF}))).ReadAll()
		if err != nil {
			t.Fatalf("parse back: %v\n%s", err, body)
		}
		head := strings.Join(rows[0], ",")
		if head != "id,channel,category,province,language,status,created_at,first_response_at,answered_at,assignee,due_at,escalated,title" {
			t.Fatalf("header %q", head)
		}
		if len(rows) != 5 {
			t.Fatalf("%d rows, want a header and 4 items", len(rows))
		}
		byID := map[string][]string{}
		for _, r := range rows[1:] {
			byID[r[0]] = r
		}
		first := byID[fmt.Sprint(items[0].ID)]
		if first[1] != "forum_question" || first[2] != "giao-thong-ha-tang" || first[3] != "Lào Cai" || first[5] != "answered" || first[9] != "kiemduyet" ||
			first[12] != "Đường vào bản Sà Phìn bị sạt lở" || first[7] == "" || first[8] == "" {
			t.Fatalf("first item's row %q", first)
		}
		if _, err := time.Parse(time.RFC3339, first[6]); err != nil || !strings.HasSuffix(first[6], "+07:00") {
			t.Fatalf("created_at %q: want RFC 3339 in Vietnam's zone", first[6])
		}
		if got := byID[fmt.Sprint(items[2].ID)][12]; got != `'=HYPERLINK("http://x","bấm")` {
			t.Fatalf("a formula came out as %q, want it defused", got)
		}
		if got := byID[fmt.Sprint(items[3].ID)][12]; got != `Trò chuyện, "có dấu ngoặc", và dấu phẩy` {
			t.Fatalf("quoting lost: %q", got)
		}
		if got := byID[fmt.Sprint(items[1].ID)][4]; got != "hmn" {
			t.Fatalf("language %q", got)
		}
		wantError(t, cs["admin"].Do("GET", "/api/v1/feedback/export.csv?to=bad", nil, nil), 400, "bad_range")
	})
}

// TestFeedbackEscalationTwoNodes: overdue items wait in the database; two
// nodes start on it and their jobs run at once: every item is escalated,
// audited as the system, and announced exactly once, and leaders see them
// in the escalated inbox.
func TestFeedbackEscalationTwoNodes(t *testing.T) {
	t.Parallel()
	url := testenv.NewDBURL(t)
	d := newFeedbackDB(t, url)
	past := time.Now().Add(-time.Minute)
	const overdue = 60
	var ids []int64
	for i := 0; i < overdue; i++ {
		ids = append(ids, d.MustEnqueue(moderation.NewItem{Source: moderation.SourceHotlineTicket, DueAt: &past}).ID)
	}
	notYet := d.MustEnqueue(moderation.NewItem{Source: moderation.SourceForumQuestion})
	n1 := MustStartNode(t, url)
	MustStartNode(t, url)
	deadline := time.Now().Add(15 * time.Second)
	for d.Count(`SELECT count(*) FROM moderation_items WHERE escalated`) < overdue {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d overdue items escalated", d.Count(`SELECT count(*) FROM moderation_items WHERE escalated`), overdue)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let a late second pass show itself
	if got := d.Count(`SELECT count(*) FROM moderation_audit WHERE action = 'escalate' AND actor_id IS NULL`); got != overdue {
		t.Fatalf("%d system escalations audited, want %d", got, overdue)
	}
	if d.Count(`SELECT count(*) FROM moderation_items WHERE escalated AND id = $1`, notYet.ID) != 0 {
		t.Fatal("an item not yet due was escalated")
	}
	cs := staffClients(t, n1, d)
	var detail struct {
		Escalated bool
		History   []struct{ Actor, Action string }
	}
	cs["moderator"].Do("GET", fmt.Sprintf("/api/v1/moderation/items/%d", ids[0]), nil, &detail)
	last := detail.History[len(detail.History)-1]
	if !detail.Escalated || last.Actor != "system" || last.Action != "escalate" {
		t.Fatalf("item as the API shows it: %+v", detail)
	}
	var inbox struct{ Items []struct{ ID int64 } }
	if cs["leader"].Do("GET", "/api/v1/feedback/escalated", nil, &inbox); len(inbox.Items) != overdue {
		t.Fatalf("escalated inbox has %d items, want %d", len(inbox.Items), overdue)
	}
}
