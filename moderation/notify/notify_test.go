package notify_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/localserver"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
	"github.com/doithoai/doithoai/moderation/notify"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type fixture struct {
	pool *pgxpool.Pool
	svc  *moderation.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := testenv.NewDB(t)
	cat := i18n.New()
	if err := cat.Add(notify.Messages); err != nil {
		t.Fatal(err)
	}
	svc := moderation.NewService(pool, 15*time.Minute, testenv.Logger(t))
	ob, err := notify.NewOutbox(pool, cat, "https://doithoai.example.vn", nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.Outbox = ob
	return &fixture{pool: pool, svc: svc}
}

var refs atomic.Int64

// submit enqueues a citizen's question as a channel would, in its own
// transaction, and returns the item.
func (f *fixture) submit(t *testing.T, contact string, consent bool, lang string) moderation.Item {
	t.Helper()
	var it moderation.Item
	err := db.InTx(context.Background(), f.pool, func(tx pgx.Tx) (err error) {
		it, err = f.svc.Enqueue(context.Background(), tx, moderation.NewItem{
			Source: moderation.SourceForumQuestion, Ref: fmt.Sprint(refs.Add(1)), TrackingCode: moderation.NewTrackingCode(),
			Title: "Hỏi về hỗ trợ hộ nghèo", Content: "Xin hỏi chính sách hỗ trợ hộ nghèo vùng cao.", Contact: contact, Language: lang,
			Meta: map[string]any{moderation.MetaNotify: consent},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func newWorker(f *fixture, senders map[string]notify.Sender, t *testing.T) *notify.Worker {
	w := notify.NewWorker(f.pool, testenv.Logger(t), senders)
	w.Poll, w.BaseDelay, w.MaxDelay, w.SendTimeout = 50*time.Millisecond, 100*time.Millisecond, 400*time.Millisecond, 10*time.Second
	return w
}

func kannelSender(t *testing.T, k *localserver.Kannel) *notify.Kannel {
	s, err := notify.NewKannel(k.SendURL(), "1022")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitRows polls the outbox until cond holds for the rows of status, or fails.
func waitRows(t *testing.T, pool *pgxpool.Pool, what string, cond func(status string, attempts []int) bool, status string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		rows, _ := pool.Query(context.Background(), `SELECT attempts FROM notification_outbox WHERE status = $1 ORDER BY id`, status)
		attempts, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err == nil && cond(status, attempts) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox: %s never happened (%s rows: %v, err %v)", what, status, attempts, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReceivedSMSInVietnamese: a question with a phone number and consent
// is told, at the fake SMSC, of its code and due date in Vietnamese
// (UCS-2), exactly once.
func TestReceivedSMSInVietnamese(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := testenv.Kannel(t)
	it := f.submit(t, "0912 345 678", true, "vi")
	w := newWorker(f, map[string]notify.Sender{notify.ChannelSMS: kannelSender(t, k)}, t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if sent, err := w.SendOne(ctx); !sent || err != nil {
		t.Fatalf("send: %v %v", sent, err)
	}
	if sent, err := w.SendOne(ctx); sent || err != nil {
		t.Fatalf("a second send found a row: %v %v", sent, err)
	}
	msgs, err := k.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	due := it.DueAt.In(time.FixedZone("ICT", 7*3600)).Format("02/01/2006")
	for _, want := range []string{"Đã nhận câu hỏi của bạn", "Mã tra cứu: " + it.TrackingCode, "Hạn trả lời: " + due, "https://doithoai.example.vn/tra-cuu?code=" + it.TrackingCode} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("SMS %q lacks %q", m.Text, want)
		}
	}
	if m.To != "+84912345678" || m.From != "1022" || m.Coding != "ucs-2" {
		t.Errorf("SMS to %q from %q coding %q, want +84912345678, 1022, ucs-2", m.To, m.From, m.Coding)
	}
	if len(k.Messages()) != 1 {
		t.Errorf("%d SMS, want 1", len(k.Messages()))
	}
}

// TestGatewayDownThenBack: while Kannel is down every attempt fails and is
// retried later; once it is back, every message arrives once.
func TestGatewayDownThenBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := testenv.Kannel(t)
	k.Stop()
	var codes []string
	for i := 0; i < 3; i++ {
		codes = append(codes, f.submit(t, fmt.Sprintf("09123456%02d", i), true, "vi").TrackingCode)
	}
	w := newWorker(f, map[string]notify.Sender{notify.ChannelSMS: kannelSender(t, k)}, t)
	w.MaxAttempts = 1000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitRows(t, f.pool, "every row failed twice while Kannel was down", func(_ string, a []int) bool {
		return len(a) == 3 && a[0] >= 2 && a[1] >= 2 && a[2] >= 2
	}, "pending")
	if err := k.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitRows(t, f.pool, "all three sent", func(_ string, a []int) bool { return len(a) == 3 }, "sent")
	wctx, wcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer wcancel()
	msgs, err := k.WaitMessages(wctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range msgs {
		for _, c := range codes {
			if strings.Contains(m.Text, c) {
				seen[c]++
			}
		}
	}
	for _, c := range codes {
		if seen[c] != 1 {
			t.Errorf("code %s arrived %d times, want once (%d SMS in all)", c, seen[c], len(msgs))
		}
	}
	var lastErr string
	if err := f.pool.QueryRow(context.Background(), `SELECT last_error FROM notification_outbox WHERE status = 'sent' LIMIT 1`).Scan(&lastErr); err != nil {
		t.Fatal(err)
	}
	if lastErr != "" {
		t.Errorf("a sent row keeps last_error %q", lastErr)
	}
}

// hangingSender stands for a node that claimed a row and then stopped
// (killed, or shut down) before the gateway took the message.
type hangingSender struct{ in chan struct{} }

func (h hangingSender) Send(ctx context.Context, _ notify.Message) error {
	close(h.in)
	<-ctx.Done()
	return ctx.Err()
}

// TestWorkerStoppedMidSendDeliversOnce: while one worker holds a row in
// the middle of its send, another does not take it; once the first stops
// without the gateway having it, the other sends it, once.
func TestWorkerStoppedMidSendDeliversOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := testenv.Kannel(t)
	it := f.submit(t, "+84 912 000 111", true, "vi")
	hang := hangingSender{in: make(chan struct{})}
	dying := newWorker(f, map[string]notify.Sender{notify.ChannelSMS: hang}, t)
	live := newWorker(f, map[string]notify.Sender{notify.ChannelSMS: kannelSender(t, k)}, t)
	dctx, kill := context.WithCancel(context.Background())
	dyingDone := make(chan error, 1)
	go func() { _, err := dying.SendOne(dctx); dyingDone <- err }()
	<-hang.in
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if sent, err := live.SendOne(ctx); sent || err != nil {
		t.Fatalf("the live worker took a row another holds: %v %v", sent, err)
	}
	kill()
	if err := <-dyingDone; err == nil {
		t.Fatal("the stopped worker reported success")
	}
	if sent, err := live.SendOne(ctx); !sent || err != nil {
		t.Fatalf("after the other stopped: %v %v", sent, err)
	}
	if sent, err := live.SendOne(ctx); sent || err != nil {
		t.Fatalf("sent twice: %v %v", sent, err)
	}
	msgs, err := k.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, it.TrackingCode) || msgs[0].To != "+84912000111" {
		t.Fatalf("SMS %+v, want one to +84912000111 with %s", msgs, it.TrackingCode)
	}
	var attempts int
	var status string
	if err := f.pool.QueryRow(context.Background(), `SELECT status, attempts FROM notification_outbox WHERE item_id = $1`, it.ID).Scan(&status, &attempts); err != nil {
		t.Fatal(err)
	}
	if status != "sent" || attempts != 1 {
		t.Errorf("row %s after %d attempts, want sent after 1 (the interrupted one left no trace)", status, attempts)
	}
}

// TestNoContactOrNoConsentNoMessage: without a contact, or without the
// citizen's consent, nothing is recorded and nothing sent.
func TestNoContactOrNoConsentNoMessage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := testenv.Kannel(t)
	f.submit(t, "", true, "vi")
	f.submit(t, "0912345678", false, "vi")
	f.submit(t, "không có số", true, "vi") // neither a number nor an address
	var n int
	if err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM notification_outbox`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d outbox rows (%v), want none", n, err)
	}
	w := newWorker(f, map[string]notify.Sender{notify.ChannelSMS: kannelSender(t, k)}, t)
	if sent, err := w.SendOne(context.Background()); sent || err != nil {
		t.Fatalf("sent %v %v", sent, err)
	}
	// A message that was sent would show at the SMSC; a control message
	// through the same gateway proves the path works and is the only one.
	f.submit(t, "0912345678", true, "vi")
	if sent, err := w.SendOne(context.Background()); !sent || err != nil {
		t.Fatalf("control: %v %v", sent, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if msgs, err := k.WaitMessages(ctx, 1); err != nil || len(msgs) != 1 {
		t.Fatalf("SMS %+v %v, want only the control message", msgs, err)
	}
}

// TestDeadAfterMaxAttempts: a row that keeps failing ends dead, listed
// for admins with its last error (and without the gateway's credentials).
func TestDeadAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := testenv.Kannel(t)
	k.Stop()
	f.submit(t, "0912345678", true, "vi")
	w := newWorker(f, map[string]notify.Sender{notify.ChannelSMS: kannelSender(t, k)}, t)
	w.MaxAttempts, w.BaseDelay = 2, time.Millisecond
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows, err := notify.NewStore(f.pool).List(context.Background(), "dead", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 1 {
			r := rows[0]
			if r.Attempts != 2 || r.LastError == "" || strings.Contains(r.LastError, k.Password) || r.Recipient != "+84912345678" {
				t.Fatalf("dead row %+v", r)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the row never died")
		}
		if _, err := w.SendOne(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if sent, err := w.SendOne(context.Background()); sent || err != nil {
		t.Fatalf("a dead row was tried again: %v %v", sent, err)
	}
}

// TestEmailPlainAndHTML: an English-speaking citizen's address gets one
// e-mail over a real SMTP server (AUTH PLAIN), plain text and HTML, in
// English, with the answer escaped in the HTML.
func TestEmailPlainAndHTML(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := testenv.SMTP(t)
	it := f.submit(t, "Citizen@Example.VN", true, "en")
	ctx := context.Background()
	err := db.InTx(ctx, f.pool, func(tx pgx.Tx) error {
		return f.svc.Outbox.Record(ctx, tx, moderation.OutboxEvent{Event: moderation.EventAnswered, Item: it, Text: "Yes: <b>apply</b> at the commune office."})
	})
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := notify.NewSMTP(srv.URL(), "thongbao@doithoai.example.vn")
	if err != nil {
		t.Fatal(err)
	}
	w := newWorker(f, map[string]notify.Sender{notify.ChannelEmail: mailer}, t)
	for i := 0; i < 2; i++ {
		if sent, err := w.SendOne(ctx); !sent || err != nil {
			t.Fatalf("send %d: %v %v", i, sent, err)
		}
	}
	msgs, err := srv.Messages()
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%d messages (%v), want received and answered", len(msgs), err)
	}
	m := msgs[1]
	for _, want := range []string{"X-Envelope-To: citizen@example.vn", "Subject: Question " + it.TrackingCode + " has been answered",
		"Content-Type: text/plain; charset=utf-8", "Content-Type: text/html; charset=utf-8", "&lt;b&gt;apply&lt;/b&gt;",
		"tra-cuu?code=3D" + it.TrackingCode} {
		if !strings.Contains(m, want) {
			t.Errorf("e-mail lacks %q:\n%s", want, m)
		}
	}
	if strings.Contains(m, "<b>apply</b>") && !strings.Contains(m, "Yes: <b>apply</b> at") {
		t.Errorf("the answer's markup reached the HTML unescaped:\n%s", m)
	}
}

// TestSMSShortenedWithLink: a long answer is cut to fit three UCS-2 parts;
// the code and the link always stay.
func TestSMSShortenedWithLink(t *testing.T) {
	t.Parallel()
	cat := i18n.New()
	if err := cat.Add(notify.Messages); err != nil {
		t.Fatal(err)
	}
	r, err := notify.NewRenderer(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("Bà con cần mang sổ hộ khẩu và giấy tờ đất đến ủy ban xã. ", 20)
	s := r.SMS(notify.Content{Event: "answered", Code: "ABCD2345", Text: long, Link: "https://x.vn/tra-cuu?code=ABCD2345", Language: "vi"})
	if n := utf8.RuneCountInString(s); n > notify.SMSLimit(s) {
		t.Errorf("SMS of %d characters, over %d", n, notify.SMSLimit(s))
	}
	for _, want := range []string{"đã được trả lời", "ABCD2345", "https://x.vn/tra-cuu?code=ABCD2345", "Bà con cần", "…"} {
		if !strings.Contains(s, want) {
			t.Errorf("SMS %q lacks %q", s, want)
		}
	}
}

func TestRecipients(t *testing.T) {
	t.Parallel()
	phones, emails := notify.Recipients("0912 345 678, Nguyen.Van.A@Example.VN")
	if len(phones) != 1 || phones[0] != "+84912345678" || len(emails) != 1 || emails[0] != "nguyen.van.a@example.vn" {
		t.Errorf("got %v %v", phones, emails)
	}
	for in, want := range map[string]string{"+84912345678": "+84912345678", "84912345678": "+84912345678", "091.234.5678": "+84912345678"} {
		if p, ok := notify.NormalizePhone(in); !ok || p != want {
			t.Errorf("%q → %q %v, want %q", in, p, ok, want)
		}
	}
	for _, bad := range []string{"12345", "call me", "0912abc678"} {
		if p, ok := notify.NormalizePhone(bad); ok {
			t.Errorf("%q read as a phone %q", bad, p)
		}
	}
}

// TestStaleRowsExpire: a notification that could not be sent within
// MaxAge is dead, never sent late.
func TestStaleRowsExpire(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := testenv.Kannel(t)
	it := f.submit(t, "0912345678", true, "vi")
	if _, err := f.pool.Exec(context.Background(), `UPDATE notification_outbox SET created_at = now() - interval '73 hours'`); err != nil {
		t.Fatal(err)
	}
	w := newWorker(f, map[string]notify.Sender{notify.ChannelSMS: kannelSender(t, k)}, t)
	if sent, err := w.SendOne(context.Background()); sent || err != nil {
		t.Fatalf("a stale row was sent: %v %v", sent, err)
	}
	if n, err := w.Expire(context.Background()); n != 1 || err != nil {
		t.Fatalf("expired %d %v, want 1", n, err)
	}
	var status, lastErr string
	if err := f.pool.QueryRow(context.Background(), `SELECT status, last_error FROM notification_outbox WHERE item_id = $1`, it.ID).Scan(&status, &lastErr); err != nil {
		t.Fatal(err)
	}
	if status != "dead" || !strings.HasPrefix(lastErr, "expired") {
		t.Errorf("stale row %s %q, want dead, expired", status, lastErr)
	}
	if len(k.Messages()) != 0 {
		t.Errorf("SMS sent: %+v", k.Messages())
	}
}

// TestEmailOverStartTLS: a server that offers STARTTLS gets the message
// over TLS, with its certificate verified: a client that does not trust it
// fails instead of falling back to clear text.
func TestEmailOverStartTLS(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := testenv.SMTPStartTLS(t)
	f.submit(t, "dan@example.vn", true, "vi")
	untrusting, err := notify.NewSMTP(srv.URL(), "thongbao@doithoai.example.vn")
	if err != nil {
		t.Fatal(err)
	}
	w := newWorker(f, map[string]notify.Sender{notify.ChannelEmail: untrusting}, t)
	if sent, err := w.SendOne(context.Background()); !sent || err != nil {
		t.Fatalf("attempt: %v %v", sent, err)
	}
	var lastErr string
	if err := f.pool.QueryRow(context.Background(), `SELECT last_error FROM notification_outbox`).Scan(&lastErr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(lastErr, "starttls") {
		t.Fatalf("an untrusted certificate gave last_error %q, want a STARTTLS failure", lastErr)
	}
	pemBytes, err := os.ReadFile(srv.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	trusting, _ := notify.NewSMTP(srv.URL(), "thongbao@doithoai.example.vn")
	trusting.TLSConfig.RootCAs = x509.NewCertPool()
	trusting.TLSConfig.RootCAs.AppendCertsFromPEM(pemBytes)
	if _, err := f.pool.Exec(context.Background(), `UPDATE notification_outbox SET next_attempt_at = now()`); err != nil {
		t.Fatal(err)
	}
	w = newWorker(f, map[string]notify.Sender{notify.ChannelEmail: trusting}, t)
	if sent, err := w.SendOne(context.Background()); !sent || err != nil {
		t.Fatalf("send: %v %v", sent, err)
	}
	msgs, err := srv.Messages()
	if err != nil || len(msgs) != 1 || !strings.Contains(msgs[0], "X-Envelope-TLS: true") || !strings.Contains(msgs[0], "X-Envelope-To: dan@example.vn") {
		t.Fatalf("messages %q %v, want one received over TLS", msgs, err)
	}
}

// TestCallbackScheduledRendering: the callback event tells the date the
// operator will call by (not the item's due date), in both languages, by
// SMS and e-mail, and says the call will come.
func TestCallbackScheduledRendering(t *testing.T) {
	t.Parallel()
	cat := i18n.New()
	if err := cat.Add(notify.Messages); err != nil {
		t.Fatal(err)
	}
	r, err := notify.NewRenderer(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	by := time.Date(2026, 12, 7, 1, 30, 0, 0, time.UTC) // 08:30 on 7 Dec in Vietnam
	for lang, want := range map[string][]string{"vi": {"gọi lại", "07/12/2026"}, "en": {"call you back", "7 Dec 2026"}} {
		c := notify.Content{Event: moderation.EventCallbackScheduled, Code: "234567892345", Due: by, Link: "https://x.vn/tra-cuu?code=234567892345", Language: lang}
		sms := r.SMS(c)
		m, err := r.Email(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range append(want, "234567892345") {
			if !strings.Contains(sms, w) || !strings.Contains(m.Text, w) {
				t.Errorf("%s: SMS %q / e-mail %q lack %q", lang, sms, m.Text, w)
			}
		}
		if strings.Contains(m.Subject, "notify.") || strings.Contains(sms, "notify.") {
			t.Errorf("%s: untranslated key in %q / %q", lang, m.Subject, sms)
		}
	}
}
