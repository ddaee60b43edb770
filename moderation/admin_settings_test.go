package moderation

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/testenv"
)

// TestReloadSettingsAcrossNodes: what an admin saves through one node's
// service is in force on another node's once it reloads (as every node
// does periodically); a stored value that no longer parses leaves the
// configured one in force; the admin audit log refuses changes.
func TestReloadSettingsAcrossNodes(t *testing.T) {
	ctx := context.Background()
	pool := testenv.NewDB(t)
	var adminID int64
	if err := pool.QueryRow(ctx, `INSERT INTO users (login, role, password_hash) VALUES ('qt', 'admin', 'x') RETURNING id`).Scan(&adminID); err != nil {
		t.Fatal(err)
	}
	admin := &identity.User{ID: adminID, Login: "qt", Role: identity.RoleAdmin}
	a, b := NewService(pool, time.Minute, testenv.Logger(t)), NewService(pool, time.Minute, testenv.Logger(t))
	b.SLA.Rules, _ = ParseSLARules("forum_question=3d")

	day := "2027-03-03" // a Wednesday
	h, err := ParseHoliday(day, "Nghỉ bù", "holiday")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store.AddHoliday(ctx, admin, h); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.SaveSettings(ctx, admin, map[string]string{SettingSLARules: "forum_question=1d"}); err != nil {
		t.Fatal(err)
	}
	if b.CurrentSLA().Holidays[day] {
		t.Fatal("b knows the holiday before reloading")
	}
	if err := b.ReloadSettings(ctx); err != nil {
		t.Fatal(err)
	}
	sla := b.CurrentSLA()
	if !sla.Holidays[day] || sla.IsWorkingDay(time.Date(2027, 3, 3, 9, 0, 0, 0, sla.Location)) {
		t.Fatal("the holiday saved on a is not in force on b")
	}
	if got := sla.BudgetFor(SourceForumQuestion, 0); got.Days != 1 {
		t.Fatalf("budget on b %+v, want the saved 1d", got)
	}
	if b.SLA.Holidays[day] {
		t.Fatal("reloading changed the configured SLA itself")
	}

	// A value stored by hand that does not parse: the configured rules stay.
	if _, err := pool.Exec(ctx, `UPDATE admin_settings SET value = 'forum_question=soon' WHERE key = $1`, SettingSLARules); err != nil {
		t.Fatal(err)
	}
	if err := b.ReloadSettings(ctx); err != nil {
		t.Fatal(err)
	}
	if got := b.CurrentSLA().BudgetFor(SourceForumQuestion, 0); got.Days != 3 {
		t.Fatalf("budget %+v after a bad stored rule, want the configured 3d", got)
	}

	// Two entries (the holiday, the rules), never changed or removed.
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM admin_audit WHERE actor_id = $1`, adminID).Scan(&n); err != nil || n != 2 {
		t.Fatalf("audit entries %d (%v), want 2", n, err)
	}
	for _, sql := range []string{`UPDATE admin_audit SET action = 'x'`, `DELETE FROM admin_audit`} {
		if _, err := pool.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused", sql, err)
		}
	}
}
