package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// demoNode is a node serving the living demo, with the demo staff's
// passwords as `seed` printed them.
type demoNode struct {
	*node
	pool      *pgxpool.Pool
	passwords map[string]string // login → password
}

var seedPasswordLine = regexp.MustCompile(`(?m)^\s+\w+\s+(\S+)\s+password (\S+)$`)

func mustStartDemoNode(t *testing.T) *demoNode {
	t.Helper()
	n := MustStartNode(t, "")
	env := map[string]string{"DATABASE_URL": n.DBURL, "DATA_DIR": n.Cfg.DataDir, "DISABLE_SIP": "true", "LOG_LEVEL": "warn"}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"doithoai", "seed", "--demo"}, func(k string) string { return env[k] },
		strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("seed --demo: %v\n%s", err, out.String())
	}
	d := &demoNode{node: n, passwords: map[string]string{}}
	for _, m := range seedPasswordLine.FindAllStringSubmatch(out.String(), -1) {
		d.passwords[m[1]] = m[2]
	}
	if d.passwords["modvien"] == "" || d.passwords["lanhdao"] == "" {
		t.Fatalf("no demo passwords in the seed's output:\n%s", out.String())
	}
	pool, err := pgxpool.New(context.Background(), n.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	d.pool = pool
	return d
}

// id returns the first column of query's first row.
func (d *demoNode) id(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := d.pool.QueryRow(context.Background(), query, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return id
}

// getPage GETs path as c and returns the HTML.
func getPage(t *testing.T, c *client, path string) string {
	t.Helper()
	resp := c.Do("GET", path, nil, nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
	}
	return string(body)
}

// webLogin signs in through the login form and returns where it lands.
func webLogin(t *testing.T, c *client, login, password string) string {
	t.Helper()
	resp := c.PostForm("/login", url.Values{"login": {login}, "password": {password}})
	if resp.StatusCode != 303 {
		t.Fatalf("login %s: %d", login, resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// TestModeratorPagesShowNames: the console and the item page name the
// categories, departments and languages, and tell the history in the
// page's language; a live question shows its own text; an action ends on
// a confirmation with the way to the next item.
func TestModeratorPagesShowNames(t *testing.T) {
	t.Parallel()
	d := mustStartDemoNode(t)
	mod := newClient(t, d.node)
	if got := webLogin(t, mod, "modvien", d.passwords["modvien"]); got != "/console" {
		t.Fatalf("a moderator lands on %q, want /console", got)
	}

	queue := getPage(t, mod, "/console")
	for _, want := range []string{"· Đất đai</span>", "· Y tế, giáo dục</span>", `<option value="dat-dai">Đất đai</option>`} {
		if !strings.Contains(queue, want) {
			t.Errorf("the queue lacks %q", want)
		}
	}

	// The complaint: routed to the complaints department, escalated by the
	// SLA job, with the leader's directives (one overdue).
	complaint := d.id(t, `SELECT i.id FROM moderation_items i JOIN forum_questions q ON i.source = 'forum_question' AND i.ref = q.id::text
		WHERE q.kind = 'complaint'`)
	item := getPage(t, mod, fmt.Sprintf("/console/items/%d", complaint))
	history := item[strings.Index(item, `id="history"`):]
	for _, want := range []string{`<span id="item-category">Đất đai</span>`, `<span id="item-language">Tiếng Việt</span>`,
		`<span id="item-department">Ban Tiếp công dân</span>`, "<b>Hệ thống</b> · Chuyển lãnh đạo: quá hạn xử lý",
		"<b>Hệ thống</b> · Chỉ đạo quá hạn", "<b>Trần Văn Lãnh Đạo</b> · Chỉ đạo", "→ Sở Tài nguyên và Môi trường", "Đang thực hiện"} {
		if !strings.Contains(item, want) {
			t.Errorf("the item page lacks %q", want)
		}
	}
	for _, raw := range []string{"<b>system</b>", "· directive_overdue", "· escalate", "· created"} {
		if strings.Contains(history, raw) {
			t.Errorf("the history shows the code %q", raw)
		}
	}
	if regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d`).MatchString(item[strings.Index(item, `class="grid item-layout"`):]) {
		t.Error("the item page shows an RFC 3339 date")
	}
	en := getPage(t, mod, fmt.Sprintf("/console/items/%d?lang=en", complaint))
	for _, want := range []string{`<span id="item-category">Land</span>`, `<span id="item-language">Vietnamese</span>`,
		"<b>System</b> · Escalated: past its due time", "<b>System</b> · Directive overdue", "In progress"} {
		if !strings.Contains(en, want) {
			t.Errorf("the English item page lacks %q", want)
		}
	}
	getPage(t, mod, "/console?lang=vi")

	// The hotline desk names the demo's callback's language and IVR topic.
	if desk := getPage(t, mod, "/hotline"); !strings.Contains(desk, `data-code="vi">Tiếng Việt</span> · Đất đai`) {
		t.Error("the hotline desk shows the callback's codes, not their names")
	}

	// A live question is shown by its own text, the session beside it.
	live := d.id(t, `SELECT id FROM moderation_items WHERE source = 'live_question' AND content LIKE 'Hộ nghèo%'`)
	lp := getPage(t, mod, fmt.Sprintf("/console/items/%d", live))
	if !strings.Contains(lp, "<h1>Hộ nghèo được hỗ trợ làm nhà ở") || !strings.Contains(lp, "Buổi đối thoại: Đối thoại trực tuyến: chính sách hỗ trợ") {
		t.Error("the live question's page does not lead with its own text")
	}

	// Claim and answer the waiting vaccination question: each action comes
	// back with its confirmation and the next-item button.
	vacc := d.id(t, `SELECT id FROM moderation_items WHERE source = 'forum_question' AND title LIKE 'Lịch tiêm chủng%'`)
	base := fmt.Sprintf("/console/items/%d", vacc)
	resp := mod.PostForm(base+"/claim", url.Values{})
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || loc != base+"?done=claim" {
		t.Fatalf("claim: %d → %q", resp.StatusCode, loc)
	}
	resp = mod.PostForm(base+"/answer", url.Values{"body": {"Trạm y tế xã tiêm sởi vào ngày 25 hằng tháng."}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || loc != base+"?done=answer" {
		t.Fatalf("answer: %d → %q", resp.StatusCode, loc)
	}
	done := getPage(t, mod, base+"?done=answer")
	if !strings.Contains(done, `id="action-done"`) || !strings.Contains(done, "Đã gửi câu trả lời.") || !strings.Contains(done, `id="next-item"`) {
		t.Error("no confirmation with a next-item button after answering")
	}
	// The next item is the most urgent one waiting.
	resp = mod.PostForm("/console/claim", url.Values{})
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || !strings.HasPrefix(loc, "/console/items/") || loc == base {
		t.Fatalf("next item: %d → %q", resp.StatusCode, loc)
	}
}

// TestLeaderPages: a leader lands on the dashboard, whose print and CSV
// links keep the range; the CSV is for people unless raw codes are asked
// for; a directive's deadline cannot be in the past; directives show
// names, local dates and translated states; English mode names the topics
// in English.
func TestLeaderPages(t *testing.T) {
	t.Parallel()
	d := mustStartDemoNode(t)
	ld := newClient(t, d.node)
	if got := webLogin(t, ld, "lanhdao", d.passwords["lanhdao"]); got != "/dashboard" {
		t.Fatalf("a leader lands on %q, want /dashboard", got)
	}

	from, to := time.Now().AddDate(0, 0, -20).Format("2006-01-02"), time.Now().Format("2006-01-02")
	dash := getPage(t, ld, "/dashboard?from="+from+"&to="+to)
	wantQuery := "from=" + from + "&amp;to=" + to
	for _, want := range []string{`href="/dashboard/print?` + wantQuery + `"`, `href="/api/v1/feedback/export.csv?` + wantQuery + `"`,
		`href="/api/v1/feedback/export.csv?` + wantQuery + `&amp;raw=1"`, ">Đất đai</text>", `fill="url(#pat-`, `class="value"`} {
		if !strings.Contains(dash, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
	if strings.Contains(dash, "%3d") || strings.Contains(dash, "%26") {
		t.Error("the dashboard escapes = or & in a link")
	}
	if !strings.Contains(dash, `id="print-link" class="button"`) {
		t.Error("the dashboard has no print button")
	}
	if printed := getPage(t, ld, "/dashboard/print?from="+from+"&to="+to); !strings.Contains(printed, from) || !strings.Contains(printed, `href="/dashboard?`+wantQuery+`"`) {
		t.Error("the print view loses the range")
	}

	// CSV: names for people by default, codes on request.
	readCSV := func(path string) [][]string {
		t.Helper()
		resp := ld.Do("GET", path, nil, nil)
		body, _ := io.ReadAll(resp.Body)
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
		if resp.StatusCode != 200 || err != nil || len(rows) < 2 {
			t.Fatalf("GET %s: %d %v %q", path, resp.StatusCode, err, body)
		}
		return rows
	}
	people := readCSV("/api/v1/feedback/export.csv?from=" + from + "&to=" + to)
	if strings.Join(people[0][:3], ",") != "Mã mục,Kênh,Lĩnh vực" {
		t.Errorf("readable CSV header %q", people[0])
	}
	rawRows := readCSV("/api/v1/feedback/export.csv?raw=1&from=" + from + "&to=" + to)
	if strings.Join(rawRows[0][:3], ",") != "id,channel,category" {
		t.Errorf("raw CSV header %q", rawRows[0])
	}
	var sawName, sawSlug, sawDate bool
	for _, r := range people[1:] {
		sawName = sawName || r[2] == "Đất đai" && r[1] == "Câu hỏi diễn đàn"
		sawDate = sawDate || regexp.MustCompile(`^\d\d/\d\d/\d{4} \d\d:\d\d$`).MatchString(r[6])
	}
	for _, r := range rawRows[1:] {
		sawSlug = sawSlug || r[2] == "dat-dai" && r[1] == "forum_question"
	}
	if !sawName || !sawSlug || !sawDate {
		t.Errorf("CSV values: names %v, raw codes %v, dd/mm/yyyy dates %v", sawName, sawSlug, sawDate)
	}

	// A deadline in the past is refused, by the API and by the form; nothing is stored.
	item := d.id(t, `SELECT id FROM moderation_items WHERE title LIKE 'Đèn đường thôn Nà Hang%'`)
	before := d.id(t, `SELECT count(*) FROM directives`)
	wantError(t, ld.Do("POST", fmt.Sprintf("/api/v1/moderation/items/%d/directive", item),
		map[string]any{"note": "Khắc phục", "deadline": time.Now().Add(-time.Hour)}, nil), 400, "deadline_past")
	resp := ld.PostForm(fmt.Sprintf("/console/items/%d/directive", item), url.Values{"note": {"Khắc phục"},
		"deadline": {time.Now().Add(-25 * time.Hour).Format("2006-01-02T15:04")}})
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != 400 || !strings.Contains(string(body), "Hạn xử lý phải ở tương lai.") {
		t.Errorf("a past deadline on the form: %d", resp.StatusCode)
	}
	if after := d.id(t, `SELECT count(*) FROM directives`); after != before {
		t.Errorf("%d directives after refusals, want %d", after, before)
	}
	resp = ld.PostForm(fmt.Sprintf("/console/items/%d/directive", item), url.Values{"note": {"Khắc phục trong tuần"},
		"deadline": {time.Now().Add(48 * time.Hour).Format("2006-01-02T15:04")}, "department": {"tai-nguyen-moi-truong"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || !strings.HasSuffix(loc, "?done=directive") {
		t.Fatalf("a directive in time: %d → %q", resp.StatusCode, loc)
	}

	dirs := getPage(t, ld, "/directives?status=all")
	for _, want := range []string{"Sở Tài nguyên và Môi trường", "Đang thực hiện", "Quá hạn"} {
		if !strings.Contains(dirs, want) {
			t.Errorf("the directives page lacks %q", want)
		}
	}
	if strings.Contains(dirs, "tai-nguyen-moi-truong") {
		t.Error("the directives page shows a department's slug")
	}

	en := getPage(t, ld, "/dashboard?lang=en&from="+from+"&to="+to)
	for _, want := range []string{">Land</text>", ">Social policy</text>", "Most-asked topics"} {
		if !strings.Contains(en, want) {
			t.Errorf("the English dashboard lacks %q", want)
		}
	}
	if strings.Contains(en, ">Đất đai</text>") {
		t.Error("the English dashboard names a topic in Vietnamese")
	}
}
