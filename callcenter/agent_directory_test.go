package callcenter

import (
	"context"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
)

// TestAgentDirectoryRoles: only moderators and admins flagged as SIP agents
// and holding a secret are agents. A leader or citizen row with a secret
// and the flag (written by hand or before roles changed) is not: an agent's
// phone shows callers' numbers, which the web UI masks for them.
func TestAgentDirectoryRoles(t *testing.T) {
	t.Parallel()
	pool := testenv.NewDB(t)
	ctx := context.Background()
	store := NewStore(pool, moderation.NewService(pool, time.Minute, testLog()))
	for _, u := range []struct {
		login, role     string
		agent, disabled bool
		want            bool
	}{
		{"mod", "moderator", true, false, true},
		{"adm", "admin", true, false, true},
		{"lead", "leader", true, false, false},
		{"0912000444", "citizen", true, false, false},
		{"modnoflag", "moderator", false, false, false},
		{"modoff", "moderator", true, true, false},
	} {
		ha1 := HA1(u.login, "a-sip-secret")
		if _, err := pool.Exec(ctx, `INSERT INTO users (login, role, password_hash, sip_ha1, disabled) VALUES ($1, $2, 'x', $3, $4)`,
			u.login, u.role, ha1, u.disabled); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `UPDATE users SET sip_agent = $2 WHERE login = $1`, u.login, u.agent); err != nil {
			t.Fatal(err)
		}
		got, ok, err := store.AgentHA1(ctx, u.login)
		if err != nil {
			t.Fatal(err)
		}
		if ok != u.want || ok && got != ha1 {
			t.Errorf("%s (%s, agent flag %v, disabled %v): agent %v, want %v", u.login, u.role, u.agent, u.disabled, ok, u.want)
		}
	}
	// A moderator flagged as agent whose secret was dropped (after 00053,
	// until `user sip-secret`) cannot register.
	if _, err := pool.Exec(ctx, `UPDATE users SET sip_ha1 = NULL WHERE login = 'mod'`); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := store.AgentHA1(ctx, "mod"); ok {
		t.Error("an agent without a secret is an agent")
	}
}
