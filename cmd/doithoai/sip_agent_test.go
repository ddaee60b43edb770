package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/localserver"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

var sipSecretLine = regexp.MustCompile(`^sip-secret: ([a-z2-9]{20})$`)

// lastSIPSecret returns the secret of the CLI's last output line, which
// must be exactly "sip-secret: SECRET".
func lastSIPSecret(t *testing.T, out string) string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	m := sipSecretLine.FindStringSubmatch(lines[len(lines)-1])
	if m == nil {
		t.Fatalf("last line of output is not \"sip-secret: SECRET\":\n%s", out)
	}
	return m[1]
}

// mustCreateAgent makes a moderator SIP agent with the CLI and returns its
// SIP secret.
func mustCreateAgent(t *testing.T, n *node, login, password string) string {
	t.Helper()
	return lastSIPSecret(t, MustRun(t, n.DBURL, password+"\n", "user", "create", "--role", "moderator", "--login", login, "--password-stdin", "--sip"))
}

// startSIPNode runs a node with the hotline on a free port.
func startSIPNode(t *testing.T) (*node, int) {
	t.Helper()
	port, err := localserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	n := MustStartNode(t, "", withEnvFunc(func(env map[string]string) {
		env["DISABLE_SIP"] = "false"
		env["SIP_ADDR"] = fmt.Sprintf("127.0.0.1:%d", port)
		env["RTP_PORT_MIN"], env["RTP_PORT_MAX"] = "0", "0"
	}))
	return n, port
}

// sipRegistrar sends REGISTERs to a node's hotline, answering the digest
// challenge with a secret.
type sipRegistrar struct {
	t      *testing.T
	client *sipgo.Client
	port   int
}

func newSIPRegistrar(t *testing.T, port int) *sipRegistrar {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("doithoai-test"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	return &sipRegistrar{t: t, client: client, port: port}
}

// register returns the final status of REGISTER for login with secret.
func (r *sipRegistrar) register(login, secret string) int {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		code, err := r.try(ctx, login, secret)
		cancel()
		if err == nil {
			return code
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("REGISTER %s: %v", login, err)
		}
		time.Sleep(200 * time.Millisecond) // the SIP listener may still be starting
	}
}

func (r *sipRegistrar) try(ctx context.Context, login, secret string) (int, error) {
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: r.port})
	aor := sip.Uri{Scheme: "sip", User: login, Host: "127.0.0.1"}
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := sip.FromHeader{Address: aor}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(&from)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: login, Host: "127.0.0.1", Port: 5999}})
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	res, err := r.client.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	if res.StatusCode == 401 {
		if res, err = r.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: login, Password: secret}); err != nil {
			return 0, err
		}
	}
	return res.StatusCode, nil
}

// TestSIPSecretCLI: `user create --sip` prints a generated SIP secret as
// its last line; the phone registers with it and not with the web
// password; the secret does not open the web console; `user sip-secret`
// rotates it and the old one stops working at once. Leaders cannot be
// agents.
func TestSIPSecretCLI(t *testing.T) {
	t.Parallel()
	n, port := startSIPNode(t)
	phone := newSIPRegistrar(t, port)
	secret := mustCreateAgent(t, n, "agent7", "web-password-7")

	if code := phone.register("agent7", "web-password-7"); code != 403 {
		t.Errorf("REGISTER with the web password: %d, want 403", code)
	}
	if code := phone.register("agent7", secret); code != 200 {
		t.Fatalf("REGISTER with the SIP secret: %d, want 200", code)
	}
	c := newClient(t, n)
	wantError(t, c.Do("POST", "/api/v1/session", map[string]string{"login": "agent7", "password": secret}, nil), 401, "bad_credentials")
	c.MustLogin("agent7", "web-password-7")

	rotated := lastSIPSecret(t, MustRun(t, n.DBURL, "", "user", "sip-secret", "--login", "agent7"))
	if rotated == secret {
		t.Fatal("rotation printed the same secret")
	}
	if code := phone.register("agent7", secret); code != 403 {
		t.Errorf("REGISTER with the rotated-out secret: %d, want 403", code)
	}
	if code := phone.register("agent7", rotated); code != 200 {
		t.Errorf("REGISTER with the new secret: %d, want 200", code)
	}

	out, err := runCLI(n.DBURL, "leader-password\n", "user", "create", "--role", "leader", "--login", "lead7", "--password-stdin", "--sip")
	if err == nil || !strings.Contains(err.Error(), "only moderators and admins can be SIP agents") || strings.Contains(out, "sip-secret") {
		t.Fatalf("leader --sip: %v\n%s", err, out)
	}
	MustCreateUser(t, n, "leader", "lead7", "leader-password") // nothing was created above
	if _, err := runCLI(n.DBURL, "", "user", "sip-secret", "--login", "lead7"); err == nil || !strings.Contains(err.Error(), "only moderators and admins") {
		t.Fatalf("sip-secret for a leader: %v", err)
	}
	if _, err := runCLI(n.DBURL, "", "user", "sip-secret", "--login", "ghost7"); err == nil {
		t.Fatal("sip-secret for an unknown login succeeded")
	}
}

// TestSeedPrintsAgentSecret: the demo moderator modvien is a SIP agent and
// `seed` (what `make run` runs) prints its secret beside the passwords; a
// second seed issues a new one.
func TestSeedPrintsAgentSecret(t *testing.T) {
	t.Parallel()
	n, port := startSIPNode(t)
	phone := newSIPRegistrar(t, port)
	seedSecret := func() string {
		out := MustRun(t, n.DBURL, "", "seed")
		m := regexp.MustCompile(`(?m)^\s+sip-secret ([a-z2-9]{20}) \(SIP agent: digest user modvien, realm doithoai\)$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("seed printed no SIP secret for modvien:\n%s", out)
		}
		return m[1]
	}
	first := seedSecret()
	if code := phone.register("modvien", first); code != 200 {
		t.Fatalf("modvien REGISTER with the seeded secret: %d, want 200", code)
	}
	second := seedSecret()
	if second == first {
		t.Fatal("re-seeding kept the SIP secret")
	}
	if code := phone.register("modvien", first); code != 403 {
		t.Errorf("old seeded secret: %d, want 403", code)
	}
	if code := phone.register("modvien", second); code != 200 {
		t.Errorf("new seeded secret: %d, want 200", code)
	}
}
