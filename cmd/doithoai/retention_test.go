package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/doithoai/doithoai/forum"
	"github.com/doithoai/doithoai/internal/blob"
	"github.com/doithoai/doithoai/internal/config"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
)

// TestRetentionDeletesPersonalData: past RETENTION_DAYS the recording file
// and every phone number are gone, while open work keeps what it needs.
func TestRetentionDeletesPersonalData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := testenv.NewDBURL(t)
	MustRun(t, dbURL, "", "seed")
	dataDir := t.TempDir()
	env := map[string]string{"DATABASE_URL": dbURL, "DISABLE_SIP": "true", "DATA_DIR": dataDir}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(ctx, cfg, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()

	settled, err := a.forum.Ask(ctx, forum.NewQuestion{Title: "Câu hỏi đã xong", Body: "Nội dung câu hỏi đã được xử lý.", Category: "khac", Contact: "0912000111", Consent: true})
	if err != nil {
		t.Fatal(err)
	}
	open, err := a.forum.Ask(ctx, forum.NewQuestion{Title: "Câu hỏi còn mở", Body: "Nội dung câu hỏi chưa trả lời.", Category: "khac", Contact: "0912000222", Consent: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, `UPDATE moderation_items SET status = 'closed' WHERE ref = $1 AND source = 'forum_question'`, itoa(settled.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, `UPDATE forum_questions SET status = 'closed' WHERE id = $1`, settled.ID); err != nil {
		t.Fatal(err)
	}
	rel := "recordings/hotline/old.wav"
	if err := os.MkdirAll(filepath.Join(dataDir, "recordings/hotline"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, rel), []byte("RIFF....WAVE"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The recording is in the blob store (PostgreSQL by default); the file
	// is an older version's copy not yet imported: both must go.
	blobs := blob.NewPostgres(a.pool)
	if err := blobs.Put(ctx, rel, strings.NewReader("RIFF....WAVE"), 12); err != nil {
		t.Fatal(err)
	}
	ticket, err := a.hotline.Store().CreateTicket(ctx, callcenter.NewTicket{CallID: "c1", Caller: "0977000333", Hotline: "1022", Language: "vi",
		Topic: "other", RecordingPath: rel, Duration: 3 * time.Second, Consent: "dtmf:1", ConsentAt: time.Now(), IVRPath: []string{"greeting"}, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, `UPDATE moderation_items SET status = 'closed' WHERE source = 'hotline_ticket'`); err != nil {
		t.Fatal(err)
	}

	// The settled question's notification went out; the open one's waits.
	if _, err := a.pool.Exec(ctx, `UPDATE notification_outbox o SET status = 'sent' FROM moderation_items i
		WHERE i.id = o.item_id AND i.source = 'forum_question' AND i.ref = $1`, itoa(settled.ID)); err != nil {
		t.Fatal(err)
	}
	a.purgeOnce(ctx, time.Now().Add(time.Hour)) // everything is "older" than the cutoff
	outbox := map[string]int{}
	rows, _ := a.pool.Query(ctx, `SELECT recipient FROM notification_outbox`)
	for rows.Next() {
		var r string
		_ = rows.Scan(&r)
		outbox[r]++
	}
	rows.Close()
	if len(outbox) != 1 || outbox["+84912000222"] != 1 {
		t.Errorf("outbox recipients after purge %v, want only the open question's pending one", outbox)
	}

	if _, err := os.Stat(filepath.Join(dataDir, rel)); !os.IsNotExist(err) {
		t.Fatalf("recording still on disk: %v", err)
	}
	if _, err := blobs.Stat(ctx, rel); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("recording still in the blob store: %v", err)
	}
	var caller, path string
	if err := a.pool.QueryRow(ctx, `SELECT caller, recording_path FROM hotline_tickets WHERE id = $1`, ticket.ID).Scan(&caller, &path); err != nil || caller != "" || path != "" {
		t.Fatalf("ticket after purge: %q %q %v", caller, path, err)
	}
	it, err := a.moderation.Store.FindItemBySource(ctx, moderation.SourceHotlineTicket, itoa(ticket.ID))
	if err != nil || it.Contact != "" || it.CitizenPhone != "" || it.RecordingURL != "" || it.Meta["caller"] != nil {
		t.Fatalf("hotline item after purge: %+v %v", it, err)
	}
	// The contact is stored normalised (E.164), and the item's person key goes with it.
	for id, want := range map[int64]string{settled.ID: "", open.ID: "+84912000222"} {
		var contact string
		if err := a.pool.QueryRow(ctx, `SELECT contact FROM forum_questions WHERE id = $1`, id).Scan(&contact); err != nil || contact != want {
			t.Errorf("question %d contact %q, want %q (%v)", id, contact, want, err)
		}
		it, err := a.moderation.Store.FindItemBySource(ctx, moderation.SourceForumQuestion, itoa(id))
		if err != nil {
			t.Fatal(err)
		}
		if it.Contact != want || it.CitizenPhone != want {
			t.Errorf("item of question %d contact %q, phone key %q, want %q", id, it.Contact, it.CitizenPhone, want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
