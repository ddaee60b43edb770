package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Consent comes before personal data on the chat channels: a name given
// to a support chat or a live question without consent is refused and
// stores nothing; with consent, when it was given is kept. Asking without
// a name needs no consent.
func TestChatAndLiveConsentBeforePersonalData(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	MustCreateUser(t, n, "admin", "admin-cons", "correct horse battery")
	MustCreateUser(t, n, "leader", "lead-cons", "correct horse battery")
	admin, anon := newClient(t, n), newClient(t, n)
	admin.MustLogin("admin-cons", "correct horse battery")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, n.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	count := func(q string) (c int) {
		if err := conn.QueryRow(ctx, q).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}

	wantError(t, anon.Do("POST", "/api/v1/conversations", map[string]any{"name": "Lò Văn Pọm", "topic": "đất"}, nil), 400, "consent_required")
	if c := count(`SELECT count(*) FROM chat_conversations`); c != 0 {
		t.Fatalf("a refused chat stored %d rows", c)
	}
	if r := anon.Do("POST", "/api/v1/conversations", map[string]any{"topic": "đất"}, nil); r.StatusCode != 201 {
		t.Errorf("a chat without a name: %d, want 201", r.StatusCode)
	}
	if r := anon.Do("POST", "/api/v1/conversations", map[string]any{"name": "Lò Văn Pọm", "topic": "đất", "consent": true}, nil); r.StatusCode != 201 {
		t.Fatalf("a chat with a name and consent: %d", r.StatusCode)
	}
	if c := count(`SELECT count(*) FROM chat_conversations WHERE name = 'Lò Văn Pọm' AND consent_at IS NOT NULL`); c != 1 {
		t.Errorf("chat with consent: %d rows with the name and consent_at, want 1", c)
	}

	var ss struct{ ID int64 }
	if r := admin.Do("POST", "/api/v1/live-sessions", map[string]any{"title": "Giao lưu", "starts_at": time.Now().Add(-time.Minute), "leaders": []string{"lead-cons"}}, &ss); r.StatusCode != 201 {
		t.Fatalf("schedule: %d", r.StatusCode)
	}
	path := fmt.Sprintf("/api/v1/live-sessions/%d/questions", ss.ID)
	wantError(t, anon.Do("POST", path, map[string]any{"body": "Hỏi có tên", "name": "Hà Thị Lan"}, nil), 400, "consent_required")
	r := anon.PostForm(fmt.Sprintf("/giao-luu/%d/hoi?lang=en", ss.ID), url.Values{"body": {"Hỏi có tên qua biểu mẫu"}, "name": {"Hà Thị Lan"}})
	if page := pageOf(t, r); r.StatusCode != 422 || !strings.Contains(page, "You need to agree to your name being kept") {
		t.Errorf("the question form with a name and no consent: %d, want 422 with the consent error", r.StatusCode)
	}
	if c := count(`SELECT count(*) FROM live_questions`); c != 0 {
		t.Fatalf("refused questions stored %d rows", c)
	}
	if r := anon.Do("POST", path, map[string]any{"body": "Hỏi không tên"}, nil); r.StatusCode != 201 {
		t.Errorf("a question without a name: %d, want 201", r.StatusCode)
	}
	r = anon.PostForm(fmt.Sprintf("/giao-luu/%d/hoi", ss.ID), url.Values{"body": {"Hỏi có tên và đồng ý"}, "name": {"Hà Thị Lan"}, "consent": {"1"}})
	if r.StatusCode != 303 {
		t.Fatalf("the question form with consent: %d", r.StatusCode)
	}
	if c := count(`SELECT count(*) FROM live_questions WHERE name = 'Hà Thị Lan' AND consent_at IS NOT NULL`); c != 1 {
		t.Errorf("question with consent: %d rows with the name and consent_at, want 1", c)
	}
}
