package auth

import (
	"context"
	"strings"
	"testing"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/testenv"
)

func sipHA1Of(t *testing.T, s *Store, login string) string {
	t.Helper()
	var ha1 *string
	if err := s.pool.QueryRow(context.Background(), `SELECT sip_ha1 FROM users WHERE login = $1`, login).Scan(&ha1); err != nil {
		t.Fatal(err)
	}
	if ha1 == nil {
		return ""
	}
	return *ha1
}

func TestNewSIPSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		s := NewSIPSecret()
		if len(s) != sipSecretLen || strings.Trim(s, sipSecretAlphabet) != "" {
			t.Fatalf("secret %q: want %d characters of %q", s, sipSecretLen, sipSecretAlphabet)
		}
		if strings.ContainsAny(s, "01ilo") {
			t.Fatalf("secret %q has an ambiguous character", s)
		}
		if seen[s] {
			t.Fatalf("secret %q came twice", s)
		}
		seen[s] = true
	}
}

// TestSIPSecretSeparateFromPassword: the stored HA1 is the SIP secret's,
// never the web password's; changing the password leaves it; rotating it
// replaces it; only moderators and admins can hold one.
func TestSIPSecretSeparateFromPassword(t *testing.T) {
	ctx := context.Background()
	s := NewStore(testenv.NewDB(t))
	secret := NewSIPSecret()
	u, err := s.CreateUser(ctx, NewUser{Login: "Lan.Agent", Role: "moderator", Password: "web-password", SIP: true, SIPSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if !u.SIPAgent {
		t.Error("a --sip moderator is not marked as a SIP agent")
	}
	if got := sipHA1Of(t, s, "Lan.Agent"); got != SIPHA1("Lan.Agent", secret) || got == SIPHA1("Lan.Agent", "web-password") {
		t.Fatalf("stored HA1 %q is not the SIP secret's", got)
	}

	if err := s.SetPassword(ctx, u.ID, "another-web-password"); err != nil {
		t.Fatal(err)
	}
	if got := sipHA1Of(t, s, "Lan.Agent"); got != SIPHA1("Lan.Agent", secret) {
		t.Fatalf("changing the web password changed the SIP HA1 to %q", got)
	}

	rotated := NewSIPSecret()
	if _, err := s.SetSIPSecret(ctx, "lan.agent", rotated); err != nil {
		t.Fatal(err)
	}
	if got := sipHA1Of(t, s, "Lan.Agent"); got != SIPHA1("Lan.Agent", rotated) {
		t.Fatalf("after rotation HA1 %q, want the new secret's (digest user as stored)", got)
	}

	for _, role := range []string{"leader", "citizen"} {
		login := "x" + role
		if role == "citizen" {
			login = "0912000333"
		}
		_, err := s.CreateUser(ctx, NewUser{Login: login, Role: role, Password: "web-password", SIP: true, SIPSecret: NewSIPSecret()})
		if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "moderators and admins") {
			t.Errorf("%s as SIP agent: %v, want a clear refusal", role, err)
		}
		if _, err := s.CreateUser(ctx, NewUser{Login: login, Role: role, Password: "web-password"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetSIPSecret(ctx, login, NewSIPSecret()); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("SIP secret for a %s: %v, want refused", role, err)
		}
		if got := sipHA1Of(t, s, login); got != "" {
			t.Errorf("%s has a SIP HA1 %q", role, got)
		}
	}
	if _, err := s.SetSIPSecret(ctx, "nobody", NewSIPSecret()); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("SIP secret for an unknown login: %v", err)
	}
	if _, err := s.CreateUser(ctx, NewUser{Login: "adm", Role: "admin", Password: "web-password", SIP: true}); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("a SIP agent without a secret: %v", err)
	}
}
