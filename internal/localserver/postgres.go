// Package localserver starts private PostgreSQL and Redis servers from the machine's
// binaries (initdb + postgres) in a directory of ours, for `make run` and the
// tests. It is not used in production, where DATABASE_URL points at a real
// managed server.
package localserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a running PostgreSQL owned by this process.
type Postgres struct {
	Dir  string
	Port int
	cmd  *exec.Cmd
	cred *syscall.Credential
	done chan error
	stop sync.Once
}

// PostgresOptions controls StartPostgres.
type PostgresOptions struct {
	Dir           string // data directory parent; created when missing, reused when initialised
	Port          int    // 0 picks a free port
	Durable       bool   // false turns fsync off: fine for tests, faster by far
	LogFile       string // server log; default Dir/postgres.log
	SharedBuffers string // e.g. "32MB"; default 128MB
	// Settings are extra "name=value" server settings (-c), e.g. the WAL
	// archiving of the restore drill.
	Settings []string
}

// BinDir finds the PostgreSQL server binaries (Debian keeps them out of PATH).
func BinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Strings(matches)
	if len(matches) == 0 {
		return "", errors.New("PostgreSQL server binaries not found (initdb): install them with `apt-get install -y postgresql postgresql-contrib`")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

// StartPostgres initialises Dir/pg when needed and runs postgres on 127.0.0.1.
// PostgreSQL refuses to run as root, so as root it runs as the "postgres"
// (or "nobody") user, which then owns the data directory.
func StartPostgres(ctx context.Context, o PostgresOptions) (*Postgres, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	// A port we pick ourselves may be taken by another process between
	// FreePort and postgres binding it (test binaries start servers in
	// parallel): then try another.
	pickPort := o.Port == 0
	dataDir := filepath.Join(o.Dir, "pg")
	sockDir := filepath.Join(o.Dir, "sock")
	if o.LogFile == "" {
		o.LogFile = filepath.Join(o.Dir, "postgres.log")
	}
	s := &Postgres{Dir: o.Dir, Port: o.Port, done: make(chan error, 1)}
	if os.Geteuid() == 0 {
		if s.cred, err = unprivileged(); err != nil {
			return nil, err
		}
	}
	if s.cred != nil {
		if err := makeTraversable(o.Dir); err != nil {
			return nil, err
		}
	}
	for _, d := range []string{o.Dir, sockDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		if err := s.chown(d); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err != nil {
		init := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", dataDir, "-U", "postgres",
			"-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
		init.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
		if out, err := init.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("initdb: %v\n%s", err, out)
		}
	}
	for attempt := 1; ; attempt++ {
		if pickPort {
			if o.Port, err = FreePort(); err != nil {
				return nil, err
			}
			s.Port = o.Port
		}
		err := s.start(ctx, bin, dataDir, sockDir, o)
		if err == nil {
			return s, nil
		}
		if !pickPort || attempt == 5 || !errors.Is(err, errPortTaken) {
			return nil, err
		}
		s.done, s.stop = make(chan error, 1), sync.Once{}
	}
}

var errPortTaken = errors.New("port taken")

// start runs postgres once and waits until it accepts connections.
func (s *Postgres) start(ctx context.Context, bin, dataDir, sockDir string, o PostgresOptions) error {
	logf, err := os.OpenFile(o.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	logStart, _ := logf.Seek(0, io.SeekEnd)
	args := []string{"-D", dataDir, "-p", strconv.Itoa(o.Port), "-h", "127.0.0.1", "-k", sockDir,
		"-c", "max_connections=300", "-c", "shared_buffers=" + o.sharedBuffers()}
	if !o.Durable {
		args = append(args, "-F", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	for _, kv := range o.Settings { // last, so that they win
		args = append(args, "-c", kv)
	}
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), args...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	go func() { s.done <- s.cmd.Wait(); logf.Close() }()
	if err := s.waitReady(ctx, 30*time.Second); err != nil {
		s.Stop()
		log, _ := os.ReadFile(o.LogFile)
		if int64(len(log)) > logStart {
			log = log[logStart:]
		}
		if strings.Contains(string(log), "Address already in use") {
			return fmt.Errorf("%w: %d", errPortTaken, o.Port)
		}
		return fmt.Errorf("%w\npostgres log:\n%s", err, tail(string(log), 2000))
	}
	return nil
}

// URL is the connection string for database name on this server.
func (s *Postgres) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, name)
}

// Stop shuts the server down fast and waits for it; calling it again
// (an explicit stop, then a cleanup) does nothing.
func (s *Postgres) Stop() { s.stop.Do(s.stopOnce) }

func (s *Postgres) stopOnce() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT) // "fast" shutdown
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Credential is the unprivileged user the server runs as when we are root
// (nil otherwise): tools that share its files, such as pgBackRest, run as it too.
func (s *Postgres) Credential() *syscall.Credential { return s.cred }

// DataDir is the cluster's data directory (PGDATA).
func (s *Postgres) DataDir() string { return filepath.Join(s.Dir, "pg") }

// SocketDir is the directory of the server's Unix socket.
func (s *Postgres) SocketDir() string { return filepath.Join(s.Dir, "sock") }

// Wait returns when the server process exits.
func (s *Postgres) Wait() error { return <-s.done }

func (s *Postgres) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err // leave it for Stop and Wait, which read it too
			return fmt.Errorf("postgres exited: %v", err)
		default:
		}
		c, err := pgx.Connect(ctx, s.URL("postgres"))
		if err == nil {
			c.Close(ctx)
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("postgres did not accept connections in time")
}

func (s *Postgres) chown(path string) error {
	if s.cred == nil {
		return nil
	}
	return os.Chown(path, int(s.cred.Uid), int(s.cred.Gid))
}

func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")
}

// FreePort asks the kernel for a free TCP port on loopback.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:][strings.IndexByte(s[len(s)-n:], '\n')+1:]
}

func (o PostgresOptions) sharedBuffers() string {
	if o.SharedBuffers != "" {
		return o.SharedBuffers
	}
	return "128MB"
}

// makeTraversable lets the unprivileged server user reach dir when it sits
// in a private (0700) temporary directory, as t.TempDir and os.MkdirTemp
// make them. It only touches directories under the system temp dir.
func makeTraversable(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	tmp := filepath.Clean(os.TempDir())
	for d := filepath.Dir(abs); strings.HasPrefix(d, tmp+string(filepath.Separator)); d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if errors.Is(err, fs.ErrNotExist) {
			continue // made later by MkdirAll, 0755: traversable
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, fi.Mode().Perm()|0o011); err != nil {
				return err
			}
		}
	}
	return nil
}
