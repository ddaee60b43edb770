package main

import (
	"fmt"
	"mime"
	"net/http"
	"net/mail"
	neturl "net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
)

// TestStaffToldOfEscalationsAndDirectives: through the same outbox as
// citizens and a real SMTP server, the leaders are told when an item is
// escalated (e-mail for an account with an address, SMS for one with a
// phone login); a directive's assignee is reminded a day before its
// deadline, and the directive's department (it has an address) when it is
// overdue, once each however often the job runs; the rows are in the
// admins' /api/v1/notifications, never on the citizen's tracking page.
func TestStaffToldOfEscalationsAndDirectives(t *testing.T) {
	t.Parallel()
	smtpd := testenv.SMTP(t)
	url := testenv.NewDBURL(t)
	MustRun(t, url, "", "migrate")
	MustRun(t, url, "", "seed")
	d := newFeedbackDB(t, url)
	past := time.Now().Add(-time.Hour)
	overdue := d.MustEnqueue(moderation.NewItem{Source: moderation.SourceHotlineTicket, Title: "Sạt lở đường vào bản", DueAt: &past})

	// Staff exist before the node's escalation job first runs (at start).
	for _, u := range [][3]string{{"leader", "chutich", "correct horse battery"}, {"leader", "0912000111", "correct horse battery"},
		{"moderator", "mod1", "mod1-password"}, {"admin", "admin1", "correct horse battery"}} {
		MustRun(t, url, u[2]+"\n", "user", "create", "--role", u[0], "--login", u[1], "--password-stdin")
	}
	d.MustExec(`UPDATE users SET email = 'ChuTich@UBND.example.vn' WHERE login = 'chutich'`)
	d.MustExec(`UPDATE users SET email = 'mod1@ubnd.example.vn' WHERE login = 'mod1'`)
	n := MustStartNode(t, url, withEnvFunc(func(env map[string]string) {
		env["SMTP_URL"], env["MAIL_FROM"] = smtpd.URL(), "thongbao@doithoai.example.vn"
		env["BASE_URL"] = "https://doithoai.example.vn"
		env["ESCALATE_EVERY"] = "200ms"
	}))
	q := askJSON(t, newClient(t, n), map[string]any{"title": "Cấp nước sạch cho bản Pả Vi", "body": "Bản Pả Vi thiếu nước sạch vào mùa khô, xin hỏi khi nào có công trình?"})
	directed, err := d.svc.Store.FindItemByID(t.Context(), itemOfCode(t, d, q.TrackingCode))
	if err != nil {
		t.Fatal(err)
	}
	leader, mod, admin := newClient(t, n), newClient(t, n), newClient(t, n)
	leader.MustLogin("chutich", "correct horse battery")
	mod.MustLogin("mod1", "mod1-password")
	admin.MustLogin("admin1", "correct horse battery")
	// The department's address is the admin's to set (/admin/departments).
	var deptName string
	if err := d.pool.QueryRow(t.Context(), `SELECT name FROM departments WHERE slug = 'tai-nguyen-moi-truong'`).Scan(&deptName); err != nil {
		t.Fatal(err)
	}
	if resp := admin.PostForm("/admin/departments/tai-nguyen-moi-truong", neturl.Values{"name": {deptName}, "email": {"SoTNMT@ubnd.example.vn"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("setting the department's e-mail: %d", resp.StatusCode)
	}

	// The moderator holds the item; the leader gives two directives: one
	// due in twelve hours (nobody responsible but the assignee), one for
	// the department, which then runs late.
	act(t, mod, directed.ID, "claim", nil)
	act(t, leader, directed.ID, "directive", map[string]any{"note": "Khảo sát nguồn nước trong tuần.", "deadline": time.Now().Add(12 * time.Hour)})
	act(t, leader, directed.ID, "directive", map[string]any{"note": "Sở TN-MT báo cáo phương án.", "department": "tai-nguyen-moi-truong", "deadline": time.Now().Add(72 * time.Hour)})
	d.MustExec(`UPDATE directives SET deadline = now() - interval '1 hour' WHERE department = 'tai-nguyen-moi-truong'`)

	type row struct{ Event, To string }
	want := []row{
		{"directive_due", "mod1@ubnd.example.vn"},
		{"directive_overdue", "sotnmt@ubnd.example.vn"},
		{"escalated", "chutich@ubnd.example.vn"}, // the overdue item
		{"escalated", "chutich@ubnd.example.vn"}, // the directed item, its directive late
	}
	deadline := time.Now().Add(90 * time.Second)
	var got []row
	for {
		mails, err := smtpd.Messages()
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, raw := range mails {
			m, err := mail.ReadMessage(strings.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			to, _ := mail.ParseAddress(m.Header.Get("To"))
			ev := map[string]string{"được chuyển lên lãnh đạo": "escalated", "sắp đến hạn": "directive_due", "đã quá hạn": "directive_overdue"}
			for k, v := range ev {
				if strings.Contains(subject, k) {
					got = append(got, row{v, to.Address})
				}
			}
		}
		if len(got) >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Event+got[i].To < got[j].Event+got[j].To })
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("e-mails to staff %v, want %v", got, want)
	}

	// The jobs kept running: still one row per event, item and recipient.
	// The phone leader's SMS waits in the outbox (no gateway here).
	var out struct {
		Notifications []struct {
			ItemID                              int64 `json:"item_id"`
			Event, Channel, Recipient, Audience string
		}
	}
	if r := admin.Do("GET", "/api/v1/notifications", nil, &out); r.StatusCode != 200 {
		t.Fatalf("notifications: %d", r.StatusCode)
	}
	staff := map[string]int{}
	for _, x := range out.Notifications {
		if x.Audience == "staff" {
			staff[fmt.Sprintf("%s #%d %s %s", x.Event, x.ItemID, x.Channel, x.Recipient)]++
		}
	}
	wantRows := map[string]int{
		fmt.Sprintf("escalated #%d email chutich@ubnd.example.vn", overdue.ID):         1,
		fmt.Sprintf("escalated #%d sms +84912000111", overdue.ID):                      1,
		fmt.Sprintf("escalated #%d email chutich@ubnd.example.vn", directed.ID):        1,
		fmt.Sprintf("escalated #%d sms +84912000111", directed.ID):                     1,
		fmt.Sprintf("directive_due #%d email mod1@ubnd.example.vn", directed.ID):       1,
		fmt.Sprintf("directive_overdue #%d email sotnmt@ubnd.example.vn", directed.ID): 1,
	}
	if fmt.Sprint(staff) != fmt.Sprint(wantRows) {
		t.Fatalf("staff outbox rows %v, want %v", staff, wantRows)
	}
	// The SMS names the item and links the console, in Vietnamese.
	var body string
	if err := d.pool.QueryRow(t.Context(), `SELECT body FROM notification_outbox WHERE channel = 'sms' AND item_id = $1`, overdue.ID).Scan(&body); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{fmt.Sprintf("Mục #%d", overdue.ID), "Sạt lở đường vào bản", fmt.Sprintf("https://doithoai.example.vn/console/items/%d", overdue.ID)} {
		if !strings.Contains(body, w) {
			t.Errorf("staff SMS %q lacks %q", body, w)
		}
	}
	// The citizen's tracking page lists none of it.
	var tr trackNotices
	if r := newClient(t, n).Do("GET", "/api/v1/track/"+directed.TrackingCode, nil, &tr); r.StatusCode != 200 {
		t.Fatalf("track: %d", r.StatusCode)
	}
	for _, x := range tr.Notifications {
		if x.Event != "received" {
			t.Errorf("the citizen's tracking page lists %q", x.Event)
		}
	}
}
