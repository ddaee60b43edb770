package moderation

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/migrations"
)

// upSQL is the Up section of a migration file.
func upSQL(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(migrations.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	up, _, ok := strings.Cut(string(b), "-- +goose Down")
	if !ok {
		t.Fatalf("%s has no Down section", name)
	}
	return up
}

// Items inserted the way the queue wrote them before 00056 (a contact
// field and no keys) get their person keys from migration 00065, exactly
// as Enqueue files new ones; a name, a bad number and rows already keyed
// are left alone, and running it twice changes nothing more.
func TestBackfillPersonKeysMigration(t *testing.T) {
	t.Parallel()
	pool := testenv.NewDB(t)
	ctx := context.Background()
	cases := []struct{ contact, phone, email, keptPhone string }{
		{contact: "0912 345 678", phone: "+84912345678"},
		{contact: "(+84) 912.345.679", phone: "+84912345679"},
		{contact: "84912345670", phone: "+84912345670"},
		{contact: "+33 1 42 68 53 00", phone: "+33142685300"},
		{contact: "  Nguoi.Dan@Example.VN ", email: "nguoi.dan@example.vn"},
		{contact: "Nguyễn Văn A"},                            // a display name is never a key
		{contact: "0912"},                                    // too short: no key
		{contact: "a@b"},                                     // no dotted domain: no key
		{contact: "09 12+345"},                               // a plus after digits
		{contact: "0987 654 321", keptPhone: "+84911111111"}, // keyed already: untouched
	}
	ids := make([]int64, len(cases))
	for i, c := range cases {
		err := pool.QueryRow(ctx, `INSERT INTO moderation_items (source, ref, title, content, contact, citizen_phone, due_at)
			VALUES ('forum_question', $1, 'Cũ', 'Nội dung cũ', $2, $3, now() + interval '1 day') RETURNING id`,
			"old-"+c.contact, c.contact, c.keptPhone).Scan(&ids[i])
		if err != nil {
			t.Fatal(err)
		}
	}
	for run := 1; run <= 2; run++ {
		if _, err := pool.Exec(ctx, upSQL(t, "00065_backfill_person_keys.sql")); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		for i, c := range cases {
			var phone, email string
			if err := pool.QueryRow(ctx, `SELECT citizen_phone, citizen_email FROM moderation_items WHERE id = $1`, ids[i]).Scan(&phone, &email); err != nil {
				t.Fatal(err)
			}
			wantPhone := c.phone
			if c.keptPhone != "" {
				wantPhone = c.keptPhone
			}
			if phone != wantPhone || email != c.email {
				t.Errorf("run %d: contact %q → phone %q email %q, want %q %q", run, c.contact, phone, email, wantPhone, c.email)
			}
			// The SQL agrees with what Enqueue files new items under.
			if c.keptPhone == "" {
				p, e := personKeys(NewItem{Contact: c.contact})
				if p != phone || e != email {
					t.Errorf("contact %q: migration %q %q, Enqueue %q %q", c.contact, phone, email, p, e)
				}
			}
		}
	}
	// The backfilled items are found in the person's history.
	f := &caseFixture{t: t, svc: NewService(pool, 0, testenv.Logger(t))}
	it := f.enqueue(NewItem{Source: SourceForumQuestion, Phone: "+84 912 345 678"})
	h, err := f.svc.Store.FindPersonHistory(ctx, it, 10)
	if err != nil || len(h) != 1 || h[0].ID != ids[0] {
		t.Fatalf("history of a new item by the same phone: %+v %v", h, err)
	}
}

// Migration 00066 settles finished chats filed the old way (approved,
// waiting for nothing) as closed, with an audit entry; offline questions
// and held items stay open.
func TestFinishedChatsClosedMigration(t *testing.T) {
	t.Parallel()
	pool := testenv.NewDB(t)
	ctx := context.Background()
	var mod int64
	if err := pool.QueryRow(ctx, `INSERT INTO users (login, role, password_hash) VALUES ('kd', 'moderator', 'x') RETURNING id`).Scan(&mod); err != nil {
		t.Fatal(err)
	}
	insert := func(ref, meta string, assignee *int64) int64 {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO moderation_items (source, ref, title, content, status, meta, assignee_id, due_at)
			VALUES ('chat_conversation', $1, 'Trò chuyện', '[..] A: B', 'approved', $2::jsonb, $3, now() + interval '1 day') RETURNING id`, ref, meta, assignee).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	finished, offline, held := insert("1", `{"closed_by":"citizen"}`, nil), insert("2", `{"offline":true}`, nil), insert("3", `{}`, &mod)
	if _, err := pool.Exec(ctx, upSQL(t, "00066_chat_case_staff_notify.sql")[strings.Index(upSQL(t, "00066_chat_case_staff_notify.sql"), "WITH settled"):]); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int64]string{finished: StatusClosed, offline: StatusApproved, held: StatusApproved} {
		var status string
		var audits int
		if err := pool.QueryRow(ctx, `SELECT status, (SELECT count(*) FROM moderation_audit WHERE item_id = $1 AND action = 'close') FROM moderation_items WHERE id = $1`, id).Scan(&status, &audits); err != nil {
			t.Fatal(err)
		}
		if status != want || (audits == 1) != (want == StatusClosed) {
			t.Errorf("item #%d: %s with %d close audits, want %s", id, status, audits, want)
		}
	}
}
