package callcenter

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/emiago/sipgo/sip"
)

// kamailioEdge is the shipped deploy/kamailio/kamailio.cfg run on
// loopback in front of the given nodes.
type kamailioEdge struct {
	addr string
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
}

func (k *kamailioEdge) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.out.Write(p)
}

func (k *kamailioEdge) log() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.out.String()
}

func kamailioPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("kamailio"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/kamailio"); err == nil {
		return "/usr/sbin/kamailio"
	}
	t.Fatal("kamailio not found: the SIP edge test needs the Debian package kamailio (scripts/install-deps.sh)")
	return ""
}

// freeUDPPort returns a loopback UDP port nobody held a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func startKamailio(t *testing.T, nodes ...string) *kamailioEdge {
	t.Helper()
	bin := kamailioPath(t)
	cfg, err := filepath.Abs("../deploy/kamailio/kamailio.cfg")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var list strings.Builder
	for _, n := range nodes {
		fmt.Fprintf(&list, "1 sip:%s\n", n)
	}
	listFile := filepath.Join(dir, "dispatcher.list")
	if err := os.WriteFile(listFile, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freeUDPPort(t)
	k := &kamailioEdge{addr: fmt.Sprintf("127.0.0.1:%d", port)}
	k.cmd = exec.Command(bin, "-DD", "-E", "-f", cfg, "-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"),
		"-A", "EDGE_LISTEN=udp:"+k.addr,
		"-A", fmt.Sprintf("DISPATCHER_LIST=%q", listFile),
		"-A", fmt.Sprintf("CTL_SOCKET=%q", "unix:"+filepath.Join(dir, "ctl")),
		"-A", "DS_PING=1", "-A", "FR_TIMER=1000")
	k.cmd.Stdout, k.cmd.Stderr = k, k
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := k.cmd.Start(); err != nil {
		t.Fatalf("start kamailio: %v", err)
	}
	exited := make(chan struct{})
	go func() { k.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-k.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-k.cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("kamailio output:\n%s", k.log())
		}
	})
	// Ready when it answers OPTIONS addressed to itself.
	p := newPhone(t, "probe")
	for deadline := time.Now().Add(10 * time.Second); ; {
		req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: port})
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		res, err := p.client.Do(ctx, req)
		cancel()
		if err == nil && res.StatusCode == 200 {
			return k
		}
		select {
		case <-exited:
			t.Fatalf("kamailio exited: %v\n%s", k.cmd.ProcessState, k.log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kamailio not answering OPTIONS at %s: %v\n%s", k.addr, err, k.log())
		}
	}
}

// edgeCall makes a call through the edge that reaches the agent, checks
// the audio both ways, lets the agent hang up, and returns the node that
// took it.
func edgeCall(t *testing.T, edge string, agentPhone *phone, number string, nodes ...*testServer) *testServer {
	t.Helper()
	caller := newPhone(t, number)
	caller.mustCall(edge, "1022", "udp")
	caller.sendAudio(tone(440, 1, 9000))
	caller.press("11")
	dlg := waitInvite(t, agentPhone, 10*time.Second)
	mark := len(caller.received())
	waitHears(t, caller, mark, agentFreq, number+" hears the agent")
	var took *testServer
	for _, n := range nodes {
		if len(n.e.liveCalls()) == 1 {
			took = n
		}
	}
	if took == nil {
		t.Fatalf("%s: no node lists the bridged call", number)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := dlg.Bye(ctx); err != nil {
		t.Fatalf("agent BYE through the edge: %v", err)
	}
	if !caller.waitHangup(5 * time.Second) {
		t.Fatalf("%s not hung up through the edge after the agent left", number)
	}
	return took
}

// Kamailio in front of two nodes sharing one PostgreSQL: the agent
// registers through the edge (digest checked by a node, Path kept),
// callers are spread over both nodes and the agent answers calls from
// either; one node stopped mid-call: its call ends, the next call goes to
// the other node and rings the agent; each node's tickets and CDRs are
// all there.
func TestEdgeTwoNodes(t *testing.T) {
	reg := pgRegistry{testenv.NewDB(t)}
	cfg := sharedConfig(t)
	cfg.TrustedSources = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	cfg.NonceSecret = []byte("the same on every node")
	a := startSharedNode(t, cfg, reg, "node-a")
	b := startSharedNode(t, cfg, reg, "node-b")
	edge := startKamailio(t, a.addr, b.addr)

	agentPhone := newAgentPhone(t, "lan", true)
	if code := agentPhone.register(t, edge.addr, "lan", "secret"); code != 200 {
		t.Fatalf("REGISTER through the edge: %d", code)
	}
	var path string
	if err := reg.pool.QueryRow(context.Background(), `SELECT path FROM hotline_registrations WHERE login = 'lan'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(path, edge.addr) || !strings.Contains(path, "received=") {
		t.Fatalf("registration path %q, want the edge %s with the phone's address", path, edge.addr)
	}

	first := edgeCall(t, edge.addr, agentPhone, "0977000001", a, b)
	second := edgeCall(t, edge.addr, agentPhone, "0977000002", a, b)
	if first == second {
		t.Fatalf("both calls went to the same node (%s)", first.addr)
	}

	// A third call is bridged on some node; that node stops mid-call.
	caller := newPhone(t, "0977000003")
	caller.mustCall(edge.addr, "1022", "udp")
	caller.sendAudio(tone(440, 1, 9000))
	caller.press("11")
	waitInvite(t, agentPhone, 10*time.Second)
	var dying, survivor *testServer
	for deadline := time.Now().Add(5 * time.Second); dying == nil; time.Sleep(20 * time.Millisecond) {
		switch {
		case len(a.e.liveCalls()) == 1:
			dying, survivor = a, b
		case len(b.e.liveCalls()) == 1:
			dying, survivor = b, a
		case time.Now().After(deadline):
			t.Fatal("third call bridged on no node")
		}
	}
	dying.stop()
	if !caller.waitHangup(5 * time.Second) {
		t.Fatal("the call in progress on the stopped node did not end")
	}

	// The next call goes to the survivor (failover or probing) and rings
	// the agent, freed by the stopped node.
	if took := edgeCall(t, edge.addr, agentPhone, "0977000004", a, b); took != survivor {
		t.Fatalf("call after the stop taken by %s, want the survivor %s", took.addr, survivor.addr)
	}

	// Every bridged call left its ticket and CDR on the node that took it.
	want := map[*testServer]int{a: 0, b: 0}
	want[first]++
	want[second]++
	want[dying]++
	want[survivor]++
	for n, w := range want {
		cdrs := n.waitCDRs(t, w)
		tickets, _ := n.store.Snapshot()
		if len(cdrs) != w || len(tickets) != w {
			t.Errorf("node %s: %d CDRs and %d tickets, want %d of each", n.addr, len(cdrs), len(tickets), w)
		}
		for _, c := range cdrs {
			if c.Outcome != OutcomeAgent || c.Agent != "lan" {
				t.Errorf("node %s: CDR %+v, want answered by lan", n.addr, c)
			}
		}
	}
}
