package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/doithoai/doithoai/internal/auth"
	"github.com/doithoai/doithoai/internal/config"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/moderation"
)

// cliActor is who the admin audit log names for accounts made or changed
// on the command line (the operator has shell access, not an account).
var cliActor = &identity.User{Login: "cli"}

const userUsage = "usage: doithoai user create --role R --login L --password-stdin [--sip] [--name N]\n" +
	"       doithoai user sip-secret --login L"

// userCommand is `doithoai user create` and `doithoai user sip-secret`.
type userCommand struct {
	sub               string
	role, login, name string
	passwordStdin     bool
	sip               bool
}

// register takes the subcommand off args and declares its flags on fs; it
// returns the arguments left for fs.
func (c *userCommand) register(fs *flag.FlagSet, args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, errors.New(userUsage)
	}
	c.sub = args[0]
	switch c.sub {
	case "create":
		fs.StringVar(&c.role, "role", "", "citizen, moderator, leader or admin")
		fs.StringVar(&c.name, "name", "", "display name")
		fs.BoolVar(&c.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
		fs.BoolVar(&c.sip, "sip", false, "also make the user (a moderator or admin) a SIP agent; prints its generated SIP secret")
	case "sip-secret":
	default:
		return nil, errors.New(userUsage)
	}
	fs.StringVar(&c.login, "login", "", "login (a phone number or e-mail for citizens)")
	return args[1:], nil
}

func (c *userCommand) run(ctx context.Context, cfg config.Config, stdin io.Reader, stdout io.Writer) error {
	if c.sub == "sip-secret" {
		return c.rotateSIPSecret(ctx, cfg, stdout)
	}
	return c.create(ctx, cfg, stdin, stdout)
}

// create makes the account non-interactively. A SIP agent's secret is
// printed once, as the last line, and stored only as its digest HA1.
func (c *userCommand) create(ctx context.Context, cfg config.Config, stdin io.Reader, stdout io.Writer) error {
	if c.role == "" || c.login == "" {
		return errors.New("user create needs --role and --login")
	}
	if !c.passwordStdin {
		return errors.New("user create needs --password-stdin (the password is never taken from the command line)")
	}
	if c.sip {
		if err := auth.CanBeSIPAgent(c.role); err != nil {
			return err
		}
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	pool, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	nu := auth.NewUser{Login: c.login, Role: c.role, Password: password, DisplayName: c.name, SIP: c.sip}
	if c.sip {
		nu.SIPSecret = auth.NewSIPSecret()
	}
	u, err := auth.NewStore(pool).AdminCreateUser(ctx, moderation.AdminAudit, cliActor, nu)
	if err != nil {
		return err
	}
	if !c.sip {
		fmt.Fprintf(stdout, "created %s %s with id %d\n", u.Role, u.Login, u.ID)
		return nil
	}
	fmt.Fprintf(stdout, "created %s %s with id %d (SIP agent: digest user %s, realm %s; the secret is shown only now)\n",
		u.Role, u.Login, u.ID, u.Login, auth.SIPRealm)
	fmt.Fprintf(stdout, "sip-secret: %s\n", nu.SIPSecret)
	return nil
}

// rotateSIPSecret gives login a new SIP secret (making a moderator or
// admin an agent if it was not one); the old secret stops working at once.
func (c *userCommand) rotateSIPSecret(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	if c.login == "" {
		return errors.New("user sip-secret needs --login")
	}
	pool, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	secret := auth.NewSIPSecret()
	store := auth.NewStore(pool)
	u, err := store.FindUserByLogin(ctx, c.login)
	if err != nil {
		return err
	}
	if u, err = store.AdminUpdateUser(ctx, moderation.AdminAudit, cliActor, u.ID, auth.UserChange{SIPSecret: &secret}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "new SIP secret for %s %s (digest user %s, realm %s); the old one no longer works, this one is shown only now\n",
		u.Role, u.Login, u.Login, auth.SIPRealm)
	fmt.Fprintf(stdout, "sip-secret: %s\n", secret)
	return nil
}
