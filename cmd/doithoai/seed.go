package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/auth"
	"github.com/doithoai/doithoai/internal/config"
	"github.com/doithoai/doithoai/internal/db"
)

// demoStaff are the accounts `doithoai seed` creates. Their passwords (and
// the SIP agent's secret) are new random ones on every seed, printed once,
// so a demo never runs with a password from the repository.
var demoStaff = []struct {
	login, role, name string
	sipAgent          bool
}{
	{"admin", "admin", "Quản trị viên", false},
	{"modvien", "moderator", "Nguyễn Thị Kiểm Duyệt", true},
	{"lanhdao", "leader", "Trần Văn Lãnh Đạo", false},
	{"0912345678", "citizen", "Lò Văn Dân", false},
}

// seed adds the domains' reference data and the demo accounts; with demo,
// also the living demo (seedDemo), once the accounts it acts as exist.
func seed(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer, demo bool) error {
	pool, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := seedDomains(ctx, pool, log); err != nil {
		return err
	}
	store := auth.NewStore(pool)
	fmt.Fprintln(stdout, "demo accounts (passwords and SIP secrets are new on every seed):")
	for _, s := range demoStaff {
		password := randomPassword()
		nu := auth.NewUser{Login: s.login, Role: s.role, Password: password, DisplayName: s.name, SIP: s.sipAgent}
		if s.sipAgent {
			nu.SIPSecret = auth.NewSIPSecret()
		}
		_, err := store.CreateUser(ctx, nu)
		if apperr.KindOf(err) == apperr.Conflict {
			var u *auth.User
			if u, err = store.FindUserByLogin(ctx, s.login); err == nil {
				err = store.SetPassword(ctx, u.ID, password)
			}
			if err == nil && s.sipAgent {
				_, err = store.SetSIPSecret(ctx, s.login, nu.SIPSecret)
			}
		}
		if err != nil {
			return fmt.Errorf("demo account %s: %w", s.login, err)
		}
		fmt.Fprintf(stdout, "  %-10s %-11s password %s\n", s.role, s.login, password)
		if s.sipAgent {
			fmt.Fprintf(stdout, "  %-10s %-11s sip-secret %s (SIP agent: digest user %s, realm %s)\n",
				"", "", nu.SIPSecret, s.login, auth.SIPRealm)
		}
	}
	if demo {
		if err := seedDemo(ctx, cfg, log); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "demo content: questions, replies, live dialogues, hotline tickets, a chat, directives (added once)")
	}
	return nil
}

func randomPassword() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
