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

// demoStaff are the accounts `doithoai seed` creates. Their passwords are
// new random ones on every seed, printed once, so a demo never runs with a
// password from the repository.
var demoStaff = []struct{ login, role, name string }{
	{"admin", "admin", "Quản trị viên"},
	{"modvien", "moderator", "Nguyễn Thị Kiểm Duyệt"},
	{"lanhdao", "leader", "Trần Văn Lãnh Đạo"},
	{"0912345678", "citizen", "Lò Văn Dân"},
}

func seed(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	pool, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := seedDomains(ctx, pool, log); err != nil {
		return err
	}
	store := auth.NewStore(pool)
	fmt.Fprintln(stdout, "demo accounts (passwords are new on every seed):")
	for _, s := range demoStaff {
		password := randomPassword()
		_, err := store.CreateUser(ctx, auth.NewUser{Login: s.login, Role: s.role, Password: password, DisplayName: s.name, SIP: s.role == "moderator"})
		if apperr.KindOf(err) == apperr.Conflict {
			var u *auth.User
			if u, err = store.FindUserByLogin(ctx, s.login); err == nil {
				err = store.SetPassword(ctx, u.ID, u.Login, password)
			}
		}
		if err != nil {
			return fmt.Errorf("demo account %s: %w", s.login, err)
		}
		fmt.Fprintf(stdout, "  %-10s %-11s password %s\n", s.role, s.login, password)
	}
	return nil
}

func randomPassword() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
