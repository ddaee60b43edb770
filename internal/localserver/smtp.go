package localserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// SMTP is a running cmd/devsmtp owned by this process: a real SMTP server
// (github.com/emersion/go-smtp) in a process of its own that writes each
// message it accepts to a file in Dir.
type SMTP struct {
	Addr, Dir, User, Password string
	// CertFile is the PEM certificate the server offers STARTTLS with
	// (empty when started without it).
	CertFile string
	cmd      *exec.Cmd
	done     chan error
}

// StartSMTP runs the devsmtp binary bin (built by the caller, e.g. with
// `go build ./cmd/devsmtp`) on a free loopback port, requiring AUTH PLAIN
// with user and password when user is set, and offering STARTTLS (with a
// self-signed certificate, see CertFile) when starttls is set.
func StartSMTP(ctx context.Context, bin, dir, user, password string, starttls bool) (*SMTP, error) {
	mailDir := filepath.Join(dir, "mail")
	s := &SMTP{Dir: mailDir, User: user, Password: password, done: make(chan error, 1)}
	args := []string{"-addr", "127.0.0.1:0", "-dir", mailDir, "-user", user, "-pass", password}
	if starttls {
		s.CertFile = filepath.Join(dir, "cert.pem")
		args = append(args, "-starttls-cert", s.CertFile)
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	logf, err := os.Create(filepath.Join(dir, "devsmtp.log"))
	if err != nil {
		return nil, err
	}
	s.cmd.Stderr = logf
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start devsmtp: %w", err)
	}
	go func() { s.done <- s.cmd.Wait(); logf.Close() }()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				addr <- a
			}
		}
	}()
	select {
	case s.Addr = <-addr:
		return s, nil
	case err := <-s.done:
		return nil, fmt.Errorf("devsmtp exited: %v (see %s)", err, logf.Name())
	case <-time.After(15 * time.Second):
		s.Stop()
		return nil, errors.New("devsmtp did not start in time")
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
}

// URL is the SMTP_URL of this server.
func (s *SMTP) URL() string {
	if s.User == "" {
		return "smtp://" + s.Addr
	}
	return "smtp://" + s.User + ":" + s.Password + "@" + s.Addr
}

// Messages returns the raw messages received so far, oldest first.
func (s *SMTP) Messages() ([]string, error) {
	names, err := filepath.Glob(filepath.Join(s.Dir, "*.eml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	return out, nil
}

// Stop terminates the server and waits for it.
func (s *SMTP) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}
