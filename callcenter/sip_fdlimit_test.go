package callcenter

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fdChildEnv makes the test binary, re-executed, the server process of
// TestSIPSurvivesDescriptorExhaustion.
const fdChildEnv = "HOTLINE_TEST_FD_CHILD"

// The server process runs out of file descriptors (EMFILE on accept) under
// a flood of silent TCP connections. It must keep answering SIP over UDP
// while out of descriptors, and over TCP again once the silent connections
// are gone. The server runs in a child process whose soft RLIMIT_NOFILE is a
// few descriptors above what it already uses, so the test process itself is
// not starved; the listener's own budget is left far above that limit.
// So it runs in parallel: the limit and the exhaustion are the child's
// alone, and the parent only holds the flood's client sockets.
func TestSIPSurvivesDescriptorExhaustion(t *testing.T) {
	t.Parallel()
	if os.Getenv(fdChildEnv) == "1" {
		runFDLimitedServer(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSIPSurvivesDescriptorExhaustion$", "-test.count=1")
	cmd.Env = append(os.Environ(), fdChildEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	defer func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
		}
	}()
	next := func(prefix string) string {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("server process ended before %q; stderr:\n%s", prefix, stderr.String())
				}
				if v, found := strings.CutPrefix(l, prefix); found {
					return v
				}
			case <-deadline:
				t.Fatalf("no %q from the server process", prefix)
			}
		}
	}
	addr := "127.0.0.1:" + next("sip-port ")
	var limit int
	fmt.Sscan(next("fd-limit "), &limit)
	ask := func(q string) string {
		t.Helper()
		fmt.Fprintln(stdin, q)
		return next(q + " ")
	}
	openFDs := func() int {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", cmd.Process.Pid))
		return len(fds)
	}

	// Three times more silent connections than the child has descriptors.
	var conns []*net.TCPConn
	for i := range 3 * limit {
		c, err := tryDialSIPFrom(fmt.Sprintf("127.0.6.%d", 1+i%50), addr)
		if err != nil {
			t.Logf("connection %d: %v", i, err) // the checks below say why
			break
		}
		conns = append(conns, c)
	}
	if !pollUntil(10*time.Second, func() bool { return openFDs() >= limit-2 || ask("still-serving") != "yes" }) {
		t.Fatalf("the server process never ran out of descriptors (%d open, limit %d): the test proves nothing", openFDs(), limit)
	}
	if v := ask("still-serving"); v != "yes" {
		t.Fatalf("serve returned when accept hit the descriptor limit: %s", v)
	}
	if code := udpOptionsStatus(t, "127.0.0.1", addr, "emfile-udp"); code != 200 {
		t.Fatalf("UDP OPTIONS while out of descriptors: %d, want 200; stderr:\n%s", code, stderr.String())
	}
	if v := ask("accept-errors"); v == "0" {
		t.Errorf("no accept error counted although the descriptors ran out")
	}
	select {
	case err := <-exited:
		t.Fatalf("server process exited: %v; stderr:\n%s", err, stderr.String())
	default:
	}
	// Once the flood is gone, TCP works again (the listener backed off, it
	// did not stop).
	for _, c := range conns {
		c.Close()
	}
	if !pollUntil(20*time.Second, func() bool { return tcpOptionsFrom("127.0.6.200", addr, "emfile-tcp", 2*time.Second) == 200 }) {
		t.Fatalf("no TCP answer after the flood; stderr:\n%s", stderr.String())
	}
	if v := ask("still-serving"); v != "yes" {
		t.Fatalf("serve returned in the server process: %s", v)
	}
}

// runFDLimitedServer is the child: it serves with a tiny descriptor limit
// and answers the parent's questions on stdin until stdin closes.
func runFDLimitedServer(t *testing.T) {
	cfg := testConfig(t)
	cfg.SIPTCPMaxConns, cfg.SIPTCPMaxPerIP = 1024, 1024 // the descriptor limit, not the budget, is hit
	cfg.SIPTCPMessageTimeout = 2 * time.Second
	ts := startTestServer(t, cfg)
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = uint64(len(fds) + 40)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("sip-port %d\nfd-limit %d\n", ts.e.sipPort, lim.Cur)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "accept-errors":
			fmt.Printf("accept-errors %.0f\n", ts.metricValue(t, "doithoai_hotline_sip_accept_errors_total", nil))
		case "still-serving":
			select {
			case err := <-ts.done:
				fmt.Printf("still-serving no: %v\n", err)
				ts.done <- err
			default:
				fmt.Println("still-serving yes")
			}
		}
	}
}
