package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/config"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/livechat"
)

// Past RETENTION_DAYS the chat channels' personal data goes too: names,
// addresses and contacts of settled support chats and offline questions,
// the citizen's name on their lines, and askers' names and addresses in
// ended live sessions. Recent chats, and old ones whose item is still
// open, keep theirs.
func TestRetentionPurgesChatPersonalData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := testenv.NewDBURL(t)
	MustRun(t, dbURL, "", "migrate")
	MustRun(t, dbURL, "correct horse battery\n", "user", "create", "--role", "leader", "--login", "lead-ret", "--password-stdin")
	env := map[string]string{"DATABASE_URL": dbURL, "DISABLE_SIP": "true", "DATA_DIR": t.TempDir()}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(ctx, cfg, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	lc := a.livechat
	yes := true

	// A support chat with a citizen line, ended; n is its citizen's name.
	chat := func(name string) int64 {
		c, _, _, err := lc.OpenConversation(ctx, livechat.NewConversation{Name: name, Topic: "hộ nghèo", Consent: &yes, IP: "203.0.113.9"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.pool.Exec(ctx, `UPDATE chat_rooms SET last_seq = 1 WHERE room = $1;`, c.Room); err != nil {
			t.Fatal(err)
		}
		if _, err := a.pool.Exec(ctx, `INSERT INTO chat_messages (room, seq, body, author, author_role, sender) VALUES ($1, 1, 'Tôi hỏi về hộ nghèo', $2, 'citizen', 'c:1')`, c.Room, name); err != nil {
			t.Fatal(err)
		}
		if _, err := lc.CloseConversation(ctx, c.ID, "citizen", nil); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	settleItem := func(id int64) {
		if _, err := a.pool.Exec(ctx, `UPDATE moderation_items SET status = 'closed' WHERE source = 'chat_conversation' AND ref = $1`, itoa(id)); err != nil {
			t.Fatal(err)
		}
	}
	oldSettled, recentSettled, oldOpenItem := chat("Mùa A Chứ"), chat("Lý Thị Dung"), chat("Sầm Văn Tiến")
	settleItem(oldSettled)
	settleItem(recentSettled)
	// A finished chat is filed closed; this one a moderator took up again.
	if _, err := a.pool.Exec(ctx, `UPDATE moderation_items SET status = 'approved' WHERE source = 'chat_conversation' AND ref = $1`, itoa(oldOpenItem)); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.LeaveOfflineQuestion(ctx, livechat.OfflineQuestion{Question: "Xin hỏi về hỗ trợ nhà ở?", Name: "Hờ A Dơ", Contact: "0912333444", Consent: true, IP: "203.0.113.10"}); err != nil {
		t.Fatal(err)
	}
	var offlinePending int64
	if err := a.pool.QueryRow(ctx, `SELECT id FROM chat_conversations WHERE status = 'offline'`).Scan(&offlinePending); err != nil {
		t.Fatal(err)
	}

	// Live questions: one in a session that ended, one in a session still on.
	leaderID := int64(0)
	if err := a.pool.QueryRow(ctx, `SELECT id FROM users WHERE login = 'lead-ret'`).Scan(&leaderID); err != nil {
		t.Fatal(err)
	}
	ask := func(title string) (sessionID, qid int64) {
		ss, err := lc.Store().CreateSession(ctx, livechat.NewSession{Title: title, StartsAt: time.Now().Add(-time.Hour), DurationMinutes: 600, Leaders: []string{"lead-ret"}}, leaderID)
		if err != nil {
			t.Fatal(err)
		}
		q, err := lc.SubmitQuestion(ctx, ss.ID, livechat.NewQuestion{Body: "Khi nào có điện lưới về bản?", Name: "Vừ Mí Sử", Consent: true, IP: "203.0.113.11"})
		if err != nil {
			t.Fatal(err)
		}
		return ss.ID, q.ID
	}
	endedSession, endedQ := ask("Giao lưu đã kết thúc")
	_, liveQ := ask("Giao lưu đang diễn ra")
	if _, err := a.pool.Exec(ctx, `UPDATE live_sessions SET ended_at = now() - interval '1 minute' WHERE id = $1`, endedSession); err != nil {
		t.Fatal(err)
	}

	// Everything but the recent chat is older than the retention period.
	if _, err := a.pool.Exec(ctx, `UPDATE chat_conversations SET created_at = now() - interval '800 days' WHERE id <> $1`, recentSettled); err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, `UPDATE live_questions SET created_at = now() - interval '800 days'`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, `UPDATE moderation_items SET created_at = now() - interval '800 days' WHERE source IN ('chat_conversation', 'live_question') AND ref <> $1`, itoa(recentSettled)); err != nil {
		t.Fatal(err)
	}
	a.purgeOnce(ctx, time.Now().AddDate(0, 0, -cfg.RetentionDays))

	type convRow struct{ Name, IP, Contact, Transcript, LineAuthor, ItemContact, ItemContent string }
	conv := func(id int64) convRow {
		var r convRow
		if err := a.pool.QueryRow(ctx, `
			SELECT c.name, c.ip, c.contact, c.transcript, coalesce((SELECT author FROM chat_messages WHERE room = 'conv:' || c.id AND author_role = 'citizen' LIMIT 1), ''),
				(SELECT contact FROM moderation_items WHERE source = 'chat_conversation' AND ref = c.id::text),
				(SELECT content FROM moderation_items WHERE source = 'chat_conversation' AND ref = c.id::text)
			FROM chat_conversations c WHERE c.id = $1`, id).Scan(&r.Name, &r.IP, &r.Contact, &r.Transcript, &r.LineAuthor, &r.ItemContact, &r.ItemContent); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := conv(oldSettled); r.Name != "" || r.IP != "" || r.LineAuthor != "" || r.ItemContact != "" || r.Transcript == "" {
		t.Errorf("old settled chat after the purge: %+v, want no name, address or contact, the transcript kept", r)
	}
	if r := conv(oldSettled); strings.Contains(r.Transcript, "Mùa A Chứ") || strings.Contains(r.ItemContent, "Mùa A Chứ") || !strings.Contains(r.ItemContent, "Tôi hỏi về hộ nghèo") {
		t.Errorf("the kept transcript (%q) or the queue's copy (%q) still names the citizen, or lost the words", r.Transcript, r.ItemContent)
	}
	if r := conv(recentSettled); r.Name != "Lý Thị Dung" || r.IP != "203.0.113.9" || r.LineAuthor != "Lý Thị Dung" || !strings.Contains(r.ItemContent, "Lý Thị Dung: Tôi hỏi") {
		t.Errorf("recent chat after the purge: %+v, want it untouched", r)
	}
	if r := conv(oldOpenItem); r.Name != "Sầm Văn Tiến" || r.LineAuthor != "Sầm Văn Tiến" || !strings.Contains(r.ItemContent, "Sầm Văn Tiến: Tôi hỏi") {
		t.Errorf("old chat whose item is open: %+v, want it untouched", r)
	}
	if r := conv(offlinePending); r.Contact != "0912333444" || r.Name != "Hờ A Dơ" || r.ItemContact != "0912333444" {
		t.Errorf("old offline question still waiting for its answer: %+v, want its contact kept", r)
	}
	// The offline question, once answered and closed, loses its contact too.
	settleItem(offlinePending)
	a.purgeOnce(ctx, time.Now().AddDate(0, 0, -cfg.RetentionDays))
	if r := conv(offlinePending); r.Contact != "" || r.Name != "" || r.IP != "" || r.ItemContact != "" {
		t.Errorf("settled offline question after the purge: %+v", r)
	}

	live := func(qid int64) (name, ip string) {
		if err := a.pool.QueryRow(ctx, `SELECT name, ip FROM live_questions WHERE id = $1`, qid).Scan(&name, &ip); err != nil {
			t.Fatal(err)
		}
		return
	}
	if name, ip := live(endedQ); name != "" || ip != "" {
		t.Errorf("question of an ended session: name %q ip %q, want both gone", name, ip)
	}
	if name, ip := live(liveQ); name != "Vừ Mí Sử" || ip != "203.0.113.11" {
		t.Errorf("question of a session still on: name %q ip %q, want them kept", name, ip)
	}
}
