package testenv

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/blob"
)

var (
	devs3Once sync.Once
	devs3Bin  string
	devs3Err  error
)

// S3 starts an S3-compatible server of t's own (cmd/devs3, built once per
// test binary, a separate process spoken to over HTTP) and returns the
// settings of a fresh bucket on it; the server stops when t ends.
func S3(t testing.TB) blob.S3Config {
	t.Helper()
	devs3Once.Do(func() {
		dir, err := os.MkdirTemp("", "doithoai-devs3-")
		if err != nil {
			devs3Err = err
			return
		}
		devs3Bin = filepath.Join(dir, "devs3")
		out, err := exec.Command("go", "build", "-o", devs3Bin, "github.com/doithoai/doithoai/cmd/devs3").CombinedOutput()
		if err != nil {
			devs3Err = &buildError{err: err, out: string(out)}
		}
	})
	if devs3Err != nil {
		t.Fatalf("testenv: build devs3: %v", devs3Err)
	}
	cmd := exec.Command(devs3Bin, "-addr", "127.0.0.1:0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	logf, err := os.Create(filepath.Join(t.TempDir(), "devs3.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("testenv: start devs3: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				addr <- a
			}
		}
	}()
	var b [6]byte
	_, _ = rand.Read(b[:])
	cfg := blob.S3Config{Bucket: "test-" + hex.EncodeToString(b[:]), AccessKey: "devs3", SecretKey: "devs3-secret", Region: "us-east-1"}
	select {
	case cfg.Endpoint = <-addr:
	case err := <-done:
		t.Fatalf("testenv: devs3 exited: %v (see %s)", err, logf.Name())
	case <-time.After(15 * time.Second):
		t.Fatal("testenv: devs3 did not start in time")
	}
	return cfg
}
