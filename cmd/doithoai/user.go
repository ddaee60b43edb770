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
)

type userCreateFlags struct {
	role, login, name string
	passwordStdin     bool
	sip               bool
}

func (f *userCreateFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.role, "role", "", "citizen, moderator, leader or admin")
	fs.StringVar(&f.login, "login", "", "login (a phone number or e-mail for citizens)")
	fs.StringVar(&f.name, "name", "", "display name")
	fs.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	fs.BoolVar(&f.sip, "sip", false, "also make the user a SIP agent (digest user = login, same password)")
}

// run creates the account non-interactively.
func (f *userCreateFlags) run(ctx context.Context, cfg config.Config, stdin io.Reader, stdout io.Writer) error {
	if f.role == "" || f.login == "" {
		return errors.New("user create needs --role and --login")
	}
	if !f.passwordStdin {
		return errors.New("user create needs --password-stdin (the password is never taken from the command line)")
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
	u, err := auth.NewStore(pool).CreateUser(ctx, auth.NewUser{Login: f.login, Role: f.role, Password: password, DisplayName: f.name, SIP: f.sip})
	if err != nil {
		return err
	}
	sip := ""
	if f.sip {
		sip = " (SIP agent)"
	}
	fmt.Fprintf(stdout, "created %s %s with id %d%s\n", u.Role, u.Login, u.ID, sip)
	return nil
}
