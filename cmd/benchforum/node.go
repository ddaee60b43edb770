package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/doithoai/doithoai/internal/localserver"
)

// node is a `doithoai serve` process: the real binary, with its real
// wiring, middleware and pool, on a loopback port.
type node struct {
	base string // http://127.0.0.1:port
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func (n *node) pid() int { return n.cmd.Process.Pid }

// startNode runs bin serve against dbURL and waits until /readyz answers.
// A missing bin is built from ./cmd/doithoai first.
func startNode(ctx context.Context, bin, dbURL, dir string) (*node, error) {
	if _, err := os.Stat(bin); err != nil {
		built := filepath.Join(dir, "doithoai")
		logf("%s not found: building ./cmd/doithoai into %s", bin, built)
		b := exec.CommandContext(ctx, "go", "build", "-o", built, "./cmd/doithoai")
		if out, err := b.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build doithoai (run from the repository root, or pass -bin): %v\n%s", err, out)
		}
		bin = built
	}
	httpPort, err := localserver.FreePort()
	if err != nil {
		return nil, err
	}
	sipPort, err := localserver.FreePort()
	if err != nil {
		return nil, err
	}
	n := &node{base: "http://127.0.0.1:" + strconv.Itoa(httpPort), log: filepath.Join(dir, "node.log"), done: make(chan struct{})}
	logFile, err := os.Create(n.log)
	if err != nil {
		return nil, err
	}
	n.cmd = exec.Command(bin, "serve")
	n.cmd.Env = append(os.Environ(),
		"DATABASE_URL="+dbURL,
		"REDIS_URL=", // a single node: in-process fan-out
		"HTTP_ADDR=127.0.0.1:"+strconv.Itoa(httpPort),
		"SIP_ADDR=127.0.0.1:"+strconv.Itoa(sipPort),
		"DISABLE_SIP=true",
		"LOG_LEVEL=warn",
		"DATA_DIR="+filepath.Join(dir, "files"),
		"BASE_URL="+n.base,
	)
	n.cmd.Stdout, n.cmd.Stderr = logFile, logFile
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := n.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { _ = n.cmd.Wait(); logFile.Close(); close(n.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-n.done:
			return nil, fmt.Errorf("doithoai serve exited:\n%s", n.tail())
		default:
		}
		if r, err := http.Get(n.base + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				logf("node %s (pid %d) ready", n.base, n.pid())
				return n, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			n.stop()
			return nil, fmt.Errorf("doithoai serve not ready in time:\n%s", n.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (n *node) tail() string {
	b, _ := os.ReadFile(n.log)
	s := string(b)
	if len(s) > 3000 {
		s = "…" + s[len(s)-3000:]
	}
	return s
}

// stop shuts the node down (SIGTERM, then SIGKILL after 20 s); safe twice.
func (n *node) stop() {
	select {
	case <-n.done:
		return
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(20 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
	if s := strings.TrimSpace(n.tail()); s != "" {
		logf("node log (warnings and errors):\n%s", s)
	}
}
