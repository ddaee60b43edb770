package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/doithoai/doithoai/moderation"
	"github.com/doithoai/doithoai/moderation/feedback"
)

// TestAdminSLAAndHolidays: SLA rules and a holiday saved by an admin are in
// force on the node at once (a new question's due date follows them);
// input that does not parse changes nothing.
func TestAdminSLAAndHolidays(t *testing.T) {
	t.Parallel()
	n, admin, d := adminNode(t)

	wantFormError(t, admin.PostForm("/admin/sla", url.Values{"rules": {"forum_question=3x"}}), "Quy tắc thời hạn không hợp lệ", "forum_question=3x")
	wantFormError(t, admin.PostForm("/admin/sla", url.Values{"hours": {"25:00-26:00"}}), "Giờ hành chính không hợp lệ", "25:00-26:00")
	if d.Count(`SELECT count(*) FROM admin_settings`) != 0 || d.Count(`SELECT count(*) FROM admin_audit WHERE actor_login <> 'cli'`) != 0 {
		t.Fatal("refused SLA settings were stored")
	}
	wantRedirect(t, admin.PostForm("/admin/sla", url.Values{"rules": {"forum_question=1d"}}), "/admin/sla?done=saved")

	// The day a one-working-day question would be due becomes a holiday.
	base, err := feedback.DefaultConfig().SLA(moderation.DefaultSLA())
	if err != nil {
		t.Fatal(err)
	}
	base.Rules, _ = moderation.ParseSLARules("forum_question=1d")
	now := time.Now()
	holiday := base.DueAt(moderation.SourceForumQuestion, 0, now).In(base.Location).Format("2006-01-02")
	wantFormError(t, admin.PostForm("/admin/holidays", url.Values{"day": {"2026-13-40"}, "name": {"Ngày lạ"}}), "NNNN-TT-NN", `value="Ngày lạ"`)
	wantRedirect(t, admin.PostForm("/admin/holidays", url.Values{"day": {holiday}, "name": {"Nghỉ bù"}, "kind": {"holiday"}}), "/admin/holidays?done=created")
	wantFormError(t, admin.PostForm("/admin/holidays", url.Values{"day": {holiday}, "name": {"Lần hai"}}), "đã được khai báo")
	if n := d.Count(`SELECT count(*) FROM sla_holidays`); n != 1 {
		t.Fatalf("holidays: %d", n)
	}
	withHoliday := base
	withHoliday.Holidays = map[string]bool{holiday: true}
	for k := range base.Holidays {
		withHoliday.Holidays[k] = true
	}
	q := mustAsk(t, newClient(t, n), "Xin hỏi về nước sạch", "Bản tôi chưa có nước sạch, bao giờ có đường ống?", "dat-dai")
	var created, due time.Time
	if err := d.pool.QueryRow(context.Background(), `SELECT created_at, due_at FROM moderation_items WHERE tracking_code = $1`, q.TrackingCode).Scan(&created, &due); err != nil {
		t.Fatal(err)
	}
	want, without := withHoliday.DueAt(moderation.SourceForumQuestion, 0, created), base.DueAt(moderation.SourceForumQuestion, 0, created)
	if want.Equal(without) {
		t.Fatalf("the holiday %s should move the due date (%v)", holiday, want)
	}
	if diff := due.Sub(want); diff < -5*time.Second || diff > 5*time.Second {
		t.Fatalf("due %v, want %v (the saved rule and holiday), not %v", due, want, without)
	}

	// Removing the holiday is audited too.
	wantRedirect(t, admin.PostForm("/admin/holidays/"+holiday+"/delete", url.Values{}), "/admin/holidays?done=deleted")
	if d.Count(`SELECT count(*) FROM sla_holidays`) != 0 || auditCount(d, "holiday.create") != 1 || auditCount(d, "holiday.delete") != 1 ||
		d.Count(`SELECT count(*) FROM admin_audit WHERE action = 'setting.update' AND target = 'setting:sla_rules' AND after->>'value' = 'forum_question=1d'`) != 1 {
		t.Fatal("holiday or SLA audit entries missing")
	}
}

// TestAdminRetention: the retention in force is the admins' setting, else
// RETENTION_DAYS; a bad number changes nothing.
func TestAdminRetention(t *testing.T) {
	t.Parallel()
	n, admin, d := adminNode(t)
	days := func() int {
		v, err := moderation.RetentionDays(context.Background(), d.pool, n.Cfg.RetentionDays)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	wantFormError(t, admin.PostForm("/admin/retention", url.Values{"days": {"0"}}), "từ 1 đến 3650", `value="0"`)
	if days() != n.Cfg.RetentionDays || d.Count(`SELECT count(*) FROM admin_settings`) != 0 {
		t.Fatal("a bad retention was stored")
	}
	wantRedirect(t, admin.PostForm("/admin/retention", url.Values{"days": {"30"}}), "/admin/retention?done=saved")
	if days() != 30 {
		t.Fatalf("retention %d, want 30", days())
	}
	wantRedirect(t, admin.PostForm("/admin/retention", url.Values{"days": {""}}), "/admin/retention?done=saved")
	if days() != n.Cfg.RetentionDays {
		t.Fatalf("retention %d after clearing, want RETENTION_DAYS %d", days(), n.Cfg.RetentionDays)
	}
	if d.Count(`SELECT count(*) FROM admin_audit WHERE target = 'setting:retention_days'`) != 2 {
		t.Fatal("retention audit entries missing")
	}
}

// TestAdminHotlineTopicsAndHours: topics are edited as one form (a bad
// menu changes nothing) and business hours apply to the node at once.
func TestAdminHotlineTopicsAndHours(t *testing.T) {
	t.Parallel()
	_, admin, d := adminNode(t)
	var menu callcenter.Menu
	admin.Do("GET", "/api/v1/hotline/menu", nil, &menu)
	if len(menu.Topics) == 0 {
		t.Fatal("no seeded menu")
	}
	form := url.Values{"default_topic": {menu.DefaultTopic}}
	for i, tp := range menu.Topics {
		n := strconv.Itoa(i)
		form.Set("digit_"+n, tp.Digit)
		form.Set("key_"+n, tp.Key)
		form.Set("category_"+n, tp.Category)
		form.Set("route_"+n, tp.Route)
		for lang, name := range tp.Names {
			form.Set("name_"+lang+"_"+n, name)
		}
	}
	last := strconv.Itoa(len(menu.Topics))
	form.Set("key_"+last, "water")
	form.Set("digit_"+last, menu.Topics[0].Digit) // taken
	form.Set("name_vi_"+last, "Nước sạch")
	form.Set("route_"+last, "voicemail")
	wantFormError(t, admin.PostForm("/admin/hotline/topics", form), "Thực đơn không hợp lệ", `value="Nước sạch"`)
	var same callcenter.Menu
	admin.Do("GET", "/api/v1/hotline/menu", nil, &same)
	if a, b := mustJSON(t, menu), mustJSON(t, same); a != b || auditCount(d, "hotline.topics") != 0 {
		t.Fatalf("a refused menu changed it: %s → %s", a, b)
	}
	form.Set("digit_"+last, "9")
	form.Set("delete_0", "1")
	wantRedirect(t, admin.PostForm("/admin/hotline/topics", form), "/admin/hotline/topics?done=saved")
	admin.Do("GET", "/api/v1/hotline/menu", nil, &same)
	got := same.Topics[len(same.Topics)-1]
	if len(same.Topics) != len(menu.Topics) || got.Digit != "9" || got.Key != "water" || got.Route != "voicemail" || got.Names["vi"] != "Nước sạch" ||
		same.Topics[0].Key == menu.Topics[0].Key || mustJSON(t, same.Languages) != mustJSON(t, menu.Languages) {
		t.Fatalf("menu after save: %+v", same)
	}
	if auditCount(d, "hotline.topics") != 1 {
		t.Fatal("no audit entry for the topics")
	}

	// Hours: open around the clock, then only on a day that is not today.
	wantFormError(t, admin.PostForm("/admin/hotline/hours", url.Values{"hours": {"Mon-Fri 25:00-26:00"}}), "Giờ làm việc không hợp lệ", "Mon-Fri 25:00-26:00")
	if d.Count(`SELECT count(*) FROM admin_settings`) != 0 {
		t.Fatal("refused hours were stored")
	}
	wantRedirect(t, admin.PostForm("/admin/hotline/hours", url.Values{"hours": {"always"}}), "/admin/hotline/hours?done=saved")
	if _, body := pageBody(t, admin, "/admin/hotline/hours"); !strings.Contains(body, "đang trong giờ làm việc") {
		t.Fatalf("after always: %.1500s", body)
	}
	other := "Mon"
	if time.Now().In(moderation.DefaultSLA().Location).Weekday() == time.Monday {
		other = "Tue"
	}
	wantRedirect(t, admin.PostForm("/admin/hotline/hours", url.Values{"hours": {other + " 07:00-08:00"}}), "/admin/hotline/hours?done=saved")
	if _, body := pageBody(t, admin, "/admin/hotline/hours"); !strings.Contains(body, "đang ngoài giờ làm việc") {
		t.Fatalf("after %s only: %.1500s", other, body)
	}
	if d.Count(`SELECT count(*) FROM admin_audit WHERE target = 'setting:hotline_hours'`) != 2 {
		t.Fatal("hours audit entries missing")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
