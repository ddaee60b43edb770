package callcenter

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/emiago/sipgo/sip"
)

// kamailioEdge is the shipped deploy/kamailio/kamailio.cfg run on
// loopback in front of the given nodes.
type kamailioEdge struct {
	addr string
	ctl  string // kamcmd's control socket
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
	k := &kamailioEdge{addr: fmt.Sprintf("127.0.0.1:%d", port), ctl: "unix:" + filepath.Join(dir, "ctl")}
	k.cmd = exec.Command(bin, "-DD", "-E", "-f", cfg, "-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"),
		"-A", "EDGE_LISTEN=udp:"+k.addr,
		"-A", fmt.Sprintf("DISPATCHER_LIST=%q", listFile),
		"-A", fmt.Sprintf("CTL_SOCKET=%q", k.ctl),
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

// edgeNodeOf waits for the node that answered a call to list it in
// hotline_calls_in_progress and returns that node's name.
func edgeNodeOf(t *testing.T, reg pgRegistry, callID string) string {
	t.Helper()
	var c trackedCall
	waitTracked(t, reg, callID, "a node's row", func(r trackedCall, ok bool) bool { c = r; return ok })
	return c.Node
}

// edgeCall makes a call through the edge that reaches the agent, checks
// the audio both ways, lets the agent hang up, and returns the Call-ID and
// the name of the node that took it.
func edgeCall(t *testing.T, reg pgRegistry, edge string, agentPhone *phone, number string) (callID, node string) {
	t.Helper()
	caller := newPhone(t, number)
	caller.mustCall(edge, "1022", "udp")
	callID = caller.dlg.InviteRequest.CallID().Value()
	caller.sendAudio(tone(440, 1, 9000))
	caller.press("11")
	dlg := waitInvite(t, agentPhone, 10*time.Second)
	mark := len(caller.received())
	waitHears(t, caller, mark, agentFreq, number+" hears the agent")
	node = edgeNodeOf(t, reg, callID)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := dlg.Bye(ctx); err != nil {
		t.Fatalf("agent BYE through the edge: %v", err)
	}
	if !caller.waitHangup(5 * time.Second) {
		t.Fatalf("%s not hung up through the edge after the agent left", number)
	}
	return callID, node
}

// waitMediaStops waits until the phone has heard nothing for quiet.
func waitMediaStops(t *testing.T, p *phone, quiet time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		p.mu.Lock()
		var last time.Time
		if n := len(p.rxTimes); n > 0 {
			last = p.rxTimes[n-1]
		}
		p.mu.Unlock()
		if time.Since(last) >= quiet {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("media from the killed node still arriving after 10 s")
		}
	}
}

// dispatcherFlags is what Kamailio's dispatcher says of a node: "AP"
// active and probed, "IP" inactive (its OPTIONS went unanswered).
func dispatcherFlags(t *testing.T, k *kamailioEdge, node string) string {
	t.Helper()
	out, err := exec.Command("kamcmd", "-s", k.ctl, "dispatcher.list").CombinedOutput()
	if err != nil {
		t.Fatalf("kamcmd dispatcher.list: %v\n%s", err, out)
	}
	// Each destination is "URI: sip:127.0.0.1:port" then "FLAGS: AP".
	text := string(out)
	i := strings.Index(text, "sip:"+node)
	if i < 0 {
		t.Fatalf("dispatcher list without %s:\n%s", node, text)
	}
	rest := text[i:]
	j := strings.Index(rest, "FLAGS:")
	if j < 0 {
		t.Fatalf("dispatcher list without flags for %s:\n%s", node, text)
	}
	return strings.Fields(rest[j+len("FLAGS:"):])[0]
}

// Kamailio in front of two node processes sharing one PostgreSQL: the
// agent registers through the edge (digest checked by a node, Path kept),
// callers are spread over both nodes and the agent answers calls from
// either. One node is killed with SIGKILL while a caller talks to the
// agent through it: the caller's media stops and their hang-up finds
// nobody (what a real phone sees), the dispatcher's OPTIONS probes mark
// the node down, the next calls go to the survivor and ring the agent
// (freed when the dead node's lease lapsed), the dropped caller has a
// callback task, and every call that ended has its ticket and CDR.
func TestEdgeTwoNodes(t *testing.T) {
	url := testenv.NewDBURL(t)
	pool, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	reg := pgRegistry{pool}
	if _, err := pool.Exec(context.Background(), `INSERT INTO users (login, role, password_hash, sip_agent, sip_ha1) VALUES ('lan', 'moderator', 'x', true, $1)`,
		HA1("lan", "secret")); err != nil {
		t.Fatal(err)
	}
	spec := edgeNodeSpec{DB: url, Prompts: writeTestPrompts(t), NonceSecret: "the same on every node", Lease: 2 * time.Second}
	nodes := map[string]*edgeNode{}
	for range 2 {
		n := startEdgeNode(t, spec)
		nodes[n.name] = n
	}
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.addr)
	}
	edge := startKamailio(t, addrs...)

	agentPhone := newAgentPhone(t, "lan", true)
	if code := agentPhone.register(t, edge.addr, "lan", "secret"); code != 200 {
		t.Fatalf("REGISTER through the edge: %d", code)
	}
	var path string
	if err := pool.QueryRow(context.Background(), `SELECT path FROM hotline_registrations WHERE login = 'lan'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(path, edge.addr) || !strings.Contains(path, "received=") {
		t.Fatalf("registration path %q, want the edge %s with the phone's address", path, edge.addr)
	}

	took := map[string]string{} // Call-ID → node, of the calls that ended
	id1, first := edgeCall(t, reg, edge.addr, agentPhone, "0977000001")
	id2, second := edgeCall(t, reg, edge.addr, agentPhone, "0977000002")
	took[id1], took[id2] = first, second
	if first == second {
		t.Fatalf("both calls went to the same node (%s)", first)
	}

	// A third call is bridged on some node; that node is killed mid-call.
	caller := newPhone(t, "0977000003")
	caller.mustCall(edge.addr, "1022", "udp")
	dropped := caller.dlg.InviteRequest.CallID().Value()
	caller.sendAudio(tone(440, 1, 9000))
	caller.press("11")
	waitInvite(t, agentPhone, 10*time.Second)
	waitHears(t, caller, len(caller.received()), agentFreq, "the third caller hears the agent")
	dyingName := edgeNodeOf(t, reg, dropped)
	dying := nodes[dyingName]
	var survivor *edgeNode
	for name, n := range nodes {
		if name != dyingName {
			survivor = n
		}
	}
	dying.kill()

	// What the caller's phone sees: the media stops, and hanging up gets
	// no answer from the node (the edge gives up on it: 408).
	waitMediaStops(t, caller, time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err = caller.dlg.Bye(ctx)
	cancel()
	if err == nil {
		t.Fatal("BYE to the killed node answered 200")
	}
	t.Logf("the dropped caller's BYE: %v", err)

	// The dispatcher's probes mark the dead node down.
	for deadline := time.Now().Add(10 * time.Second); !strings.HasPrefix(dispatcherFlags(t, edge, dying.addr), "I"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("dispatcher still has the killed node as %s", dispatcherFlags(t, edge, dying.addr))
		}
	}

	// The next calls go to the survivor and ring the agent.
	for _, number := range []string{"0977000004", "0977000005"} {
		id, node := edgeCall(t, reg, edge.addr, agentPhone, number)
		if node != survivor.name {
			t.Fatalf("call %s after the kill taken by %s, want the survivor %s", number, node, survivor.name)
		}
		took[id] = node
	}

	// The dropped caller is called back: the survivor turned the dead
	// node's call into a callback task.
	waitTracked(t, reg, dropped, "the dropped call's row converted", func(_ trackedCall, ok bool) bool { return !ok })
	var cbCaller, cbKind string
	if err := pool.QueryRow(context.Background(), `SELECT caller, kind FROM hotline_callbacks WHERE call_id = $1 AND status = 'open'`, dropped).Scan(&cbCaller, &cbKind); err != nil {
		t.Fatalf("callback task of the dropped call: %v", err)
	}
	if cbCaller != "+84977000003" || cbKind != CallbackAbandoned {
		t.Fatalf("callback task of the dropped call: %s %s", cbKind, cbCaller)
	}

	// Every call that ended, on either node (the dead one's too), left
	// its operator ticket and its CDR (written as the call's goroutine
	// finishes, just after the hang-up).
	for id, node := range took {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			var tickets, cdrs int
			if err := pool.QueryRow(context.Background(), `
SELECT (SELECT count(*) FROM hotline_tickets WHERE call_id = $1 AND agent = 'lan'),
       (SELECT count(*) FROM hotline_calls WHERE call_id = $1 AND outcome = 'agent' AND agent = 'lan')`, id).Scan(&tickets, &cdrs); err != nil {
				t.Fatal(err)
			}
			if tickets > 1 || cdrs > 1 {
				t.Fatalf("call %s on %s: %d tickets and %d CDRs, want one of each", id, node, tickets, cdrs)
			}
			if tickets == 1 && cdrs == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("call %s on %s: %d tickets and %d CDRs after 10 s, want one of each", id, node, tickets, cdrs)
			}
		}
	}
}
