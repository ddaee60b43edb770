package localserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Redis is a running redis-server owned by this process.
type Redis struct {
	Port int
	cmd  *exec.Cmd
	done chan error
}

// ErrNoRedis is returned when redis-server is not installed.
var ErrNoRedis = errors.New("redis-server not found: install it with `apt-get install -y redis-server`")

// StartRedis runs a non-persistent redis-server on 127.0.0.1 (port 0 picks
// a free one), logging to dir/redis.log.
func StartRedis(ctx context.Context, dir string, port int) (*Redis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNoRedis
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// A port we pick may be taken by another process before redis binds it
	// (test binaries start servers in parallel): then redis exits, and we
	// try another.
	pickPort := port == 0
	for attempt := 1; ; attempt++ {
		if pickPort {
			if port, err = FreePort(); err != nil {
				return nil, err
			}
		}
		r, exited, err := startRedisOnce(bin, dir, port)
		if err == nil || !exited || !pickPort || attempt == 5 {
			return r, err
		}
	}
}

func startRedisOnce(bin, dir string, port int) (r *Redis, exited bool, err error) {
	r = &Redis{Port: port, done: make(chan error, 1)}
	r.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir,
		"--logfile", filepath.Join(dir, "redis.log"))
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := r.cmd.Start(); err != nil {
		return nil, false, fmt.Errorf("start redis-server: %w", err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-r.done:
			return nil, true, fmt.Errorf("redis-server exited: %v (see %s)", err, filepath.Join(dir, "redis.log"))
		default:
		}
		if c, err := net.DialTimeout("tcp", r.addr(), 100*time.Millisecond); err == nil {
			c.Close()
			return r, false, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.Stop()
	return nil, false, errors.New("redis-server did not accept connections in time")
}

func (r *Redis) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.Port)) }

// URL is the redis:// URL of this server.
func (r *Redis) URL() string { return "redis://" + r.addr() + "/0" }

// Stop terminates the server and waits for it.
func (r *Redis) Stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
}
