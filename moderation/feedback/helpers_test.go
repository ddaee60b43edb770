package feedback_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
	"github.com/doithoai/doithoai/moderation/feedback"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fixture is a migrated database with the queue service and one user of
// each role.
type fixture struct {
	url   string
	pool  *pgxpool.Pool
	svc   *moderation.Service
	store *feedback.Store

	citizen, mod, leader, admin *identity.User
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{url: testenv.NewDBURL(t)}
	f.pool = mustPool(t, f.url)
	f.svc = moderation.NewService(f.pool, 15*time.Minute, testenv.Logger(t))
	f.store = feedback.NewStore(f.pool, f.svc.SLA.Location)
	f.citizen = f.mustUser(t, "0911222333", identity.RoleCitizen)
	f.mod = f.mustUser(t, "modvien", identity.RoleModerator)
	f.leader = f.mustUser(t, "lanhdao", identity.RoleLeader)
	f.admin = f.mustUser(t, "quantri", identity.RoleAdmin)
	return f
}

func mustPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// mustUser inserts an account directly: these tests need ids and roles,
// not passwords.
func (f *fixture) mustUser(t *testing.T, login, role string) *identity.User {
	t.Helper()
	u := &identity.User{Login: login, Role: role}
	if err := f.pool.QueryRow(context.Background(), `INSERT INTO users (login, role, password_hash) VALUES ($1, $2, 'x') RETURNING id`,
		login, role).Scan(&u.ID); err != nil {
		t.Fatal(err)
	}
	return u
}

var refs atomic.Int64

// mustEnqueue adds an item the way a channel does, inside its own transaction.
func (f *fixture) mustEnqueue(t *testing.T, svc *moderation.Service, n moderation.NewItem) moderation.Item {
	t.Helper()
	if n.Ref == "" {
		n.Ref = fmt.Sprintf("ref-%d", refs.Add(1))
	}
	if n.Content == "" {
		n.Content = "Nội dung câu hỏi"
	}
	var it moderation.Item
	err := db.InTx(context.Background(), f.pool, func(tx pgx.Tx) (err error) {
		it, err = svc.Enqueue(context.Background(), tx, n)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func (f *fixture) mustAct(t *testing.T, actor *identity.User, id int64, action string, in moderation.ActionInput) moderation.Item {
	t.Helper()
	it, err := f.svc.Act(context.Background(), actor, id, action, in)
	if err != nil {
		t.Fatalf("%s on %d by %s: %v", action, id, actor.Login, err)
	}
	return it
}

// backdate moves an item's creation back, as if it had waited that long.
func (f *fixture) backdate(t *testing.T, id int64, d time.Duration) {
	t.Helper()
	if _, err := f.pool.Exec(context.Background(), `UPDATE moderation_items SET created_at = created_at - $2::interval WHERE id = $1`,
		id, d.String()); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
