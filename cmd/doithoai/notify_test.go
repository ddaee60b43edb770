package main

import (
	"context"
	"io"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/testenv"
)

type notifyRow struct {
	Event, Channel, Recipient, Status string
	Attempts                          int
}

type trackNotices struct {
	Status        string
	Notifications []struct{ Event string }
}

func askWithContact(t *testing.T, c *client, extra map[string]any) questionCreated {
	t.Helper()
	body := map[string]any{"title": "Hỗ trợ làm nhà cho hộ nghèo", "body": "Gia đình tôi là hộ nghèo ở bản Pả Vi, xin hỏi có được hỗ trợ làm nhà không?",
		"category": "chinh-sach-xa-hoi", "language": "vi"}
	for k, v := range extra {
		body[k] = v
	}
	var q questionCreated
	if r := c.Do("POST", "/api/v1/questions", body, &q); r.StatusCode != 201 {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("ask: %d %s", r.StatusCode, b)
	}
	return q
}

// waitNotifications polls the admins' outbox view until n rows are sent.
func waitNotifications(t *testing.T, admin *client, status string, n int) []notifyRow {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var out struct{ Notifications []notifyRow }
		if r := admin.Do("GET", "/api/v1/notifications?status="+status, nil, &out); r.StatusCode != 200 {
			t.Fatalf("notifications: %d", r.StatusCode)
		}
		if len(out.Notifications) >= n {
			return out.Notifications
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d notifications %s", len(out.Notifications), n, status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestAnsweredQuestionNotifiedOnceBySMSAndEmail: a question asked with a
// phone, an e-mail address and consent, answered in the console API, is
// told by exactly one SMS at Kannel's fake SMSC (Vietnamese, UCS-2) and
// one e-mail at a real SMTP server, besides the "received" ones; the
// tracking API and page list the notifications.
func TestAnsweredQuestionNotifiedOnceBySMSAndEmail(t *testing.T) {
	t.Parallel()
	k, smtpd := testenv.Kannel(t), testenv.SMTP(t)
	n := MustStartNode(t, "", withEnvFunc(func(env map[string]string) {
		env["SMS_GATEWAY_URL"], env["SMS_SENDER"] = k.SendURL(), "1022"
		env["SMTP_URL"], env["MAIL_FROM"] = smtpd.URL(), "thongbao@doithoai.example.vn"
		env["BASE_URL"] = "https://doithoai.example.vn"
	}))
	MustRun(t, n.DBURL, "", "seed")
	MustCreateUser(t, n, "moderator", "mod1", "mod1-password")
	MustCreateUser(t, n, "admin", "admin1", "admin1-password")
	m, admin := newClient(t, n), newClient(t, n)
	m.MustLogin("mod1", "mod1-password")
	admin.MustLogin("admin1", "admin1-password")

	q := askWithContact(t, newClient(t, n), map[string]any{"phone": "0912 345 678", "email": "Nguoi.Dan@Example.VN", "consent": true})
	mustModerate(t, m, q.ID, map[string]any{"action": "answer", "body": "Có. Hộ nghèo được hỗ trợ 40 triệu đồng để làm nhà; bà con nộp đơn tại ủy ban xã."})

	sent := waitNotifications(t, admin, "sent", 4)
	for _, r := range sent {
		if r.Attempts != 1 {
			t.Errorf("%s %s to %s sent after %d attempts, want 1", r.Event, r.Channel, r.Recipient, r.Attempts)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sms, err := k.WaitMessages(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	var answered []string
	for _, s := range sms {
		if s.To != "+84912345678" {
			t.Errorf("SMS to %q, want +84912345678", s.To)
		}
		if strings.Contains(s.Text, "đã được trả lời") {
			answered = append(answered, s.Text)
		}
	}
	if len(sms) != 2 || len(answered) != 1 {
		t.Fatalf("SMS %+v: want one received and one answered", sms)
	}
	for _, want := range []string{"Câu hỏi của bạn đã được trả lời", "Mã tra cứu: " + q.TrackingCode, "Hộ nghèo được hỗ trợ", "https://doithoai.example.vn/tra-cuu?code=" + q.TrackingCode} {
		if !strings.Contains(answered[0], want) {
			t.Errorf("answered SMS %q lacks %q", answered[0], want)
		}
	}

	mails, err := smtpd.Messages()
	if err != nil {
		t.Fatal(err)
	}
	var answeredMail []string
	for _, raw := range mails {
		msg, err := mail.ReadMessage(strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if msg.Header.Get("X-Envelope-To") != "nguoi.dan@example.vn" {
			t.Errorf("e-mail to %q", msg.Header.Get("X-Envelope-To"))
		}
		if subject == "Câu hỏi mã "+q.TrackingCode+" đã được trả lời" {
			answeredMail = append(answeredMail, raw)
		}
	}
	if len(mails) != 2 || len(answeredMail) != 1 {
		t.Fatalf("%d e-mails, %d of them the answer; want 2 and 1", len(mails), len(answeredMail))
	}
	if !strings.Contains(answeredMail[0], "text/html") || !strings.Contains(answeredMail[0], "text/plain") {
		t.Errorf("the e-mail is not plain text plus HTML:\n%s", answeredMail[0])
	}

	var tr trackNotices
	newClient(t, n).Do("GET", "/api/v1/track/"+q.TrackingCode, nil, &tr)
	if len(tr.Notifications) != 2 || tr.Notifications[0].Event != "received" || tr.Notifications[1].Event != "answered" {
		t.Errorf("tracking notifications %+v, want received then answered", tr.Notifications)
	}
	page := newClient(t, n).Do("GET", "/tra-cuu?code="+q.TrackingCode, nil, nil)
	if b, _ := io.ReadAll(page.Body); !strings.Contains(string(b), `id="track-notices"`) || !strings.Contains(string(b), "Đã có câu trả lời") {
		t.Errorf("tracking page lacks the notifications:\n%s", b)
	}
	wantError(t, m.Do("GET", "/api/v1/notifications?status=dead", nil, nil), 403, "forbidden")
	wantError(t, admin.Do("GET", "/api/v1/notifications?status=lost", nil, nil), 400, "bad_status")
}

// TestNotificationsKeptWithoutGateway: with neither SMS_GATEWAY_URL nor
// SMTP_URL, notifications stay pending in the outbox and the tracking page
// shows them; a question without a contact records none.
func TestNotificationsKeptWithoutGateway(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	MustCreateUser(t, n, "admin", "admin1", "admin1-password")
	m, admin := newClient(t, n), newClient(t, n)
	m.MustLogin("mod1", "mod1-password")
	admin.MustLogin("admin1", "admin1-password")
	q := askWithContact(t, newClient(t, n), map[string]any{"contact": "0987654321", "consent": true})
	silent := askWithContact(t, newClient(t, n), map[string]any{"title": "Câu hỏi không để lại liên lạc"})
	mustModerate(t, m, q.ID, map[string]any{"action": "reject", "reason": "Câu hỏi trùng với câu đã trả lời."})
	mustModerate(t, m, silent.ID, map[string]any{"action": "answer", "body": "Đã trả lời."})

	var tr trackNotices
	newClient(t, n).Do("GET", "/api/v1/track/"+q.TrackingCode, nil, &tr)
	if len(tr.Notifications) != 2 || tr.Notifications[1].Event != "rejected" {
		t.Fatalf("tracking %+v, want received and rejected", tr)
	}
	var out struct{ Notifications []notifyRow }
	admin.MustDo("GET", "/api/v1/notifications?status=pending", nil, &out)
	if len(out.Notifications) != 2 || out.Notifications[0].Recipient != "+84987654321" || out.Notifications[0].Channel != "sms" {
		t.Fatalf("pending %+v, want the two SMS of the question with a contact", out.Notifications)
	}
	var silentTr trackNotices
	newClient(t, n).Do("GET", "/api/v1/track/"+silent.TrackingCode, nil, &silentTr)
	if silentTr.Status == "" || len(silentTr.Notifications) != 0 {
		t.Errorf("a question without contact: %+v, want its status and no notifications", silentTr)
	}
}
