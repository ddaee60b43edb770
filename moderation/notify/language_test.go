package notify_test

import (
	"context"
	"strings"
	"testing"
)

// A hotline caller who chose H'Mông leaves an item in "hmn"; the catalogs
// have no H'Mông, so the SMS is written in Vietnamese and the outbox row
// says vi (not an empty or English text).
func TestNotificationLanguageFallsBackToVietnamese(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct{ lang, want, text string }{
		{"hmn", "vi", "Đã nhận câu hỏi"},
		{"en", "en", ""},
	} {
		it := f.submit(t, "0912345678", true, tc.lang)
		var lang, body string
		if err := f.pool.QueryRow(context.Background(), `SELECT language, body FROM notification_outbox WHERE item_id = $1 AND channel = 'sms'`, it.ID).Scan(&lang, &body); err != nil {
			t.Fatal(err)
		}
		if lang != tc.want || tc.text != "" && !strings.Contains(body, tc.text) {
			t.Errorf("item in %q: outbox row in %q, body %q; want %q", tc.lang, lang, body, tc.want)
		}
	}
}
