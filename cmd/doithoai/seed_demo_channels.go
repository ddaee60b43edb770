package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/doithoai/doithoai/livechat"
	"github.com/doithoai/doithoai/moderation"
)

// live holds a dialogue that took place (questions approved, answered on
// the air and one refused; then ended, so it is an archive) and schedules
// the next one.
func (d *demo) live(ctx context.Context) error {
	lc := d.a.livechat
	past, err := lc.ScheduleSession(ctx, d.admin, livechat.NewSession{
		Title:       "Đối thoại trực tuyến: chính sách hỗ trợ đồng bào vùng cao",
		Description: "Lãnh đạo tỉnh trả lời câu hỏi của người dân về hỗ trợ sản xuất, nhà ở và học bổng.",
		StartsAt:    time.Now().Add(-30 * time.Minute), DurationMinutes: 90, Leaders: []string{d.leader.Login},
	})
	if err != nil {
		return err
	}
	questions := []struct{ body, name, answer string }{
		{"Hộ nghèo được hỗ trợ làm nhà ở như thế nào trong năm 2026?", "Sùng A Lử",
			"Mỗi hộ nghèo được hỗ trợ 40 triệu đồng làm nhà mới hoặc 20 triệu đồng sửa nhà; xã lập danh sách trong quý I."},
		{"Giống ngô hỗ trợ vụ xuân khi nào được cấp về thôn?", "Mùa Thị Dợ",
			"Giống được cấp trước ngày 15 tháng 1; thôn trưởng sẽ thông báo lịch nhận."},
		{"Tôi muốn hỏi về quảng cáo của tôi", "", ""}, // refused by the moderator
	}
	for _, q := range questions {
		lq, err := lc.SubmitQuestion(ctx, past.ID, livechat.NewQuestion{Body: q.body, Name: q.name, Consent: q.name != ""})
		if err != nil {
			return err
		}
		if q.answer == "" {
			if err := lc.ModerateQuestion(ctx, d.mod, past.ID, lq.ID, moderation.ActionReject, "Không liên quan đến chủ đề buổi đối thoại."); err != nil {
				return err
			}
			continue
		}
		if err := lc.ModerateQuestion(ctx, d.mod, past.ID, lq.ID, moderation.ActionApprove, ""); err != nil {
			return err
		}
		if _, _, err := lc.AnswerQuestion(ctx, d.leader, past.ID, lq.ID, q.answer); err != nil {
			return err
		}
	}
	if err := lc.EndSession(ctx, d.leader, past.ID); err != nil {
		return err
	}
	next := time.Now().AddDate(0, 0, 7).Truncate(24 * time.Hour).Add(2 * time.Hour) // 09:00 in Việt Nam
	_, err = lc.ScheduleSession(ctx, d.admin, livechat.NewSession{
		Title:       "Đối thoại trực tuyến: đất đai và giải phóng mặt bằng",
		Description: "Gửi câu hỏi trước; lãnh đạo Sở Tài nguyên và Môi trường trả lời trực tiếp.",
		StartsAt:    next, DurationMinutes: 120, Leaders: []string{d.leader.Login},
	})
	return err
}

// chat is a support conversation a citizen opened and the moderator took,
// ended by the citizen with a rating: its transcript is in the queue.
func (d *demo) chat(ctx context.Context) error {
	lc := d.a.livechat
	yes := true
	c, _, _, err := lc.OpenConversation(ctx, livechat.NewConversation{Name: "Thào Thị Sùng", Topic: "Đăng ký khai sinh cho con",
		Language: "vi", Consent: &yes})
	if err != nil {
		return err
	}
	if _, err := lc.AcceptConversation(ctx, d.mod, c.ID); err != nil {
		return err
	}
	lines := []struct {
		operator bool
		body     string
	}{
		{false, "Chào cán bộ, con tôi mới sinh ở nhà, tôi muốn đăng ký khai sinh thì làm thế nào?"},
		{true, "Chào chị. Chị mang giấy chứng sinh (hoặc văn bản của người làm chứng) và giấy tờ tùy thân đến UBND xã, hoặc nộp trực tuyến trên Cổng dịch vụ công."},
		{false, "Tôi không có giấy chứng sinh vì sinh ở nhà."},
		{true, "Khi đó cần văn bản xác nhận của người làm chứng việc sinh; nếu không có người làm chứng, chị làm giấy cam đoan. Việc đăng ký không mất lệ phí."},
		{false, "Cảm ơn cán bộ nhiều."},
	}
	for _, l := range lines {
		op := d.mod
		if !l.operator {
			op = nil
		}
		if _, err := lc.PostChatLine(ctx, c.ID, op, l.body); err != nil {
			return err
		}
	}
	rating := 5
	_, err = lc.CloseConversation(ctx, c.ID, "citizen", &rating)
	return err
}

// hotline leaves two voicemails with real WAV recordings (the IVR's own
// prompts stand in for the callers' voices); the moderator answers one,
// which becomes a callback task.
func (d *demo) hotline(ctx context.Context) error {
	prompts, err := callcenter.LoadPrompts("", "vi", d.log, nil)
	if err != nil {
		return err
	}
	calls := []struct {
		caller, topic, category string
		voice                   []string
		answer                  string
	}{
		{"+84912000111", "land", "dat-dai", []string{"greeting", "topic_menu"},
			"Gọi lại: hướng dẫn ông nộp hồ sơ cấp giấy chứng nhận tại Bộ phận một cửa của huyện."},
		{"+84977000222", "social-policy", "chinh-sach-xa-hoi", []string{"greeting", "voicemail", "hold"}, ""},
	}
	for i, c := range calls {
		var pcm []int16
		for _, name := range c.voice {
			pcm = append(pcm, prompts.Get("vi", name)...)
		}
		rel := filepath.ToSlash(filepath.Join("recordings", "hotline", "demo", fmt.Sprintf("demo-%d.wav", i+1)))
		// In the blob store, where the hotline keeps every recording: any
		// node plays it, and a backup of PostgreSQL holds it.
		wav := callcenter.EncodeWAV(pcm)
		if err := d.a.blobs.Put(ctx, rel, bytes.NewReader(wav), int64(len(wav))); err != nil {
			return err
		}
		now := time.Now().Add(-time.Duration(i+1) * 3 * time.Hour)
		t, err := d.a.hotline.Store().CreateTicket(ctx, callcenter.NewTicket{
			CallID: fmt.Sprintf("demo-call-%d", i+1), Caller: c.caller, Hotline: "1022", Language: "vi",
			Topic: c.topic, Category: c.category, RecordingPath: rel, Duration: time.Duration(len(pcm)) * time.Second / 8000,
			Consent: "dtmf:1", ConsentAt: now, IVRPath: []string{"vi", c.topic}, ReceivedAt: now,
		})
		if err != nil {
			return err
		}
		if c.answer == "" {
			continue
		}
		it, err := d.a.moderation.Store.FindItemByTrackingCode(ctx, t.Number)
		if err != nil {
			return err
		}
		if err := d.act(ctx, d.mod, it.ID, moderation.ActionAnswer, moderation.ActionInput{Body: c.answer}); err != nil {
			return err
		}
	}
	return nil
}

// overdue runs the real SLA job over what the other pieces aged, then the
// leader gives directives on two escalated items: one in time, and one whose
// deadline has since passed (aged like the items), which the job flags.
func (d *demo) overdue(ctx context.Context) error {
	if _, err := d.a.moderation.EscalateOverdue(ctx, 100); err != nil {
		return err
	}
	rows, err := d.a.pool.Query(ctx, `SELECT id FROM moderation_items WHERE escalated ORDER BY due_at, id LIMIT 2`)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	notes := []struct {
		note, dept string
		late       bool
	}{
		{"Sở Tài nguyên và Môi trường kiểm tra lại đơn giá bồi thường, báo cáo kết quả.", "tai-nguyen-moi-truong", true},
		{"Đề nghị UBND huyện khắc phục ngay, trả lời người dân trong tuần.", "", false},
	}
	for i, id := range ids {
		deadline := time.Now().AddDate(0, 0, 3)
		n := notes[i%len(notes)]
		if err := d.act(ctx, d.leader, id, moderation.ActionDirective, moderation.ActionInput{Note: n.note, Department: n.dept, Deadline: &deadline}); err != nil {
			return err
		}
		if n.late { // given a week ago, due four days ago
			if _, err := d.a.pool.Exec(ctx, `UPDATE directives SET created_at = created_at - interval '7 days',
				deadline = deadline - interval '7 days' WHERE item_id = $1`, id); err != nil {
				return err
			}
		}
	}
	_, err = d.a.moderation.EscalateOverdueDirectives(ctx, 100)
	return err
}
