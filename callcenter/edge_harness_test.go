package callcenter

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/moderation"
	"github.com/emiago/sipgo/sip"
)

// A hotline node of the edge test is this test binary run again as a
// child process (the whole Center on PostgreSQL, as `doithoai serve` runs
// it), so the test can kill it with SIGKILL: nothing in the process gets
// to clean up, as when a machine dies.
const edgeNodeEnv = "DOITHOAI_TEST_EDGE_NODE"

// edgeNodeSpec is what a child node is told, as JSON in edgeNodeEnv.
type edgeNodeSpec struct {
	DB, Prompts, Data, NonceSecret string
	Lease                          time.Duration
}

func init() {
	if v := os.Getenv(edgeNodeEnv); v != "" {
		if err := runEdgeNode(v); err != nil {
			fmt.Fprintln(os.Stderr, "edge node:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// runEdgeNode serves a node until the process is killed, after printing
// "edge-node PORT NODE" on stdout.
func runEdgeNode(spec string) error {
	var s edgeNodeSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		return err
	}
	ctx := context.Background()
	pool, err := db.Open(ctx, s.DB)
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if os.Getenv("HOTLINE_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	sip.SetDefaultLogger(log)
	hours, _ := ParseHours("always", "", time.UTC)
	cfg := Config{
		SIPAddr: "127.0.0.1:0", HotlineNumbers: []string{"1022"}, DataDir: s.Data, PromptsDir: s.Prompts,
		MaxCalls: 50, InviteRate: 1000, InviteBurst: 1000, RegisterRate: 1000, RegisterBurst: 1000,
		RTPTimeout: 3 * time.Second, DigitTimeout: 400 * time.Millisecond, MenuRetries: 1,
		AgentWait: 15 * time.Second, AgentRingTimeout: 2 * time.Second, AgentLease: s.Lease,
		VoicemailMax: 6 * time.Second, VoicemailMin: 200 * time.Millisecond, Hours: hours,
		DefaultLanguage: "vi", ShutdownGrace: 5 * time.Second,
		TrustedSources: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, NonceSecret: []byte(s.NonceSecret),
	}
	c, err := New(Deps{Config: cfg, Pool: pool, Moderation: moderation.NewService(pool, time.Minute, log), Log: log})
	if err != nil {
		return err
	}
	if err := c.engine.listen(); err != nil {
		return err
	}
	fmt.Printf("edge-node %d %s\n", c.engine.sipPort, c.engine.agents.shared.node)
	return c.engine.serve(ctx) // until SIGKILL
}

// edgeNode is a child node as the parent test sees it.
type edgeNode struct {
	addr, name string
	cmd        *exec.Cmd
	done       chan struct{}
	logPath    string
}

func startEdgeNode(t *testing.T, spec edgeNodeSpec) *edgeNode {
	t.Helper()
	dir := t.TempDir()
	spec.Data = filepath.Join(dir, "data")
	raw, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	n := &edgeNode{done: make(chan struct{}), logPath: filepath.Join(dir, "node.log")}
	logf, err := os.Create(n.logPath)
	if err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(os.Args[0], "-test.run=^$")
	n.cmd.Env = append(os.Environ(), edgeNodeEnv+"="+string(raw))
	n.cmd.Stderr = logf
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "edge-node ") {
				ready <- sc.Text()
			}
		}
	}()
	go func() { _ = n.cmd.Wait(); logf.Close(); close(n.done) }()
	t.Cleanup(func() {
		n.kill()
		// SIGKILL skips the race detector's exit status: read its report.
		b, _ := os.ReadFile(n.logPath)
		if strings.Contains(string(b), "WARNING: DATA RACE") {
			t.Errorf("data race in node %s", n.name)
		}
		if t.Failed() {
			t.Logf("node %s (%s) log:\n%s", n.name, n.addr, b)
		}
	})
	select {
	case line := <-ready:
		var port int
		if _, err := fmt.Sscanf(line, "edge-node %d %s", &port, &n.name); err != nil {
			t.Fatalf("child node said %q: %v", line, err)
		}
		n.addr = fmt.Sprintf("127.0.0.1:%d", port)
		return n
	case <-n.done:
		b, _ := os.ReadFile(n.logPath)
		t.Fatalf("child node exited: %v\n%s", n.cmd.ProcessState, b)
	case <-time.After(30 * time.Second):
		t.Fatal("child node not listening after 30 s")
	}
	return nil
}

// kill ends the node with SIGKILL and waits for it to be gone.
func (n *edgeNode) kill() {
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}
