package web

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// holding counts the /hold requests whose handler is running, so a test
// knows a connection is busy rather than merely open.
var holding sync.Map // *ConnBudget → *atomic.Int32

// mustServeBudget serves a tiny handler on loopback behind a budget of max.
// /hold blocks until release is closed (a busy connection).
func mustServeBudget(t *testing.T, max int) (addr string, b *ConnBudget, release chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b = NewConnBudget(max)
	release = make(chan struct{})
	held := new(atomic.Int32)
	holding.Store(b, held)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/hold" {
				held.Add(1)
				<-release
			}
			fmt.Fprint(w, "ok")
		}),
		ReadHeaderTimeout: time.Minute, // longer than the test: only the budget closes connections
		ConnState:         b.ConnState,
	}
	go func() { _ = srv.Serve(b.Listener(ln)) }()
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
		_ = srv.Close()
	})
	return ln.Addr().String(), b, release
}

func mustDial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// get sends one keep-alive request on c and reads the status line.
func get(c net.Conn, path string) (string, error) {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	return resp.Status, nil
}

// closedByServer reports whether the server has closed c (EOF or reset),
// as opposed to still holding it (read timeout).
func closedByServer(c net.Conn, within time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(within))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

func waitOpen(t *testing.T, b *ConnBudget, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for b.Open() != want {
		if time.Now().After(deadline) {
			t.Fatalf("open connections %d, want %d", b.Open(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitHolding waits until want /hold requests are in their handler.
func waitHolding(t *testing.T, b *ConnBudget, want int32) {
	t.Helper()
	v, _ := holding.Load(b)
	held := v.(*atomic.Int32)
	deadline := time.Now().Add(10 * time.Second)
	for held.Load() != want {
		if time.Now().After(deadline) {
			t.Fatalf("requests in progress %d, want %d", held.Load(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConnBudget(t *testing.T) {
	t.Parallel()
	t.Run("OKEvictsOldestIdle", func(t *testing.T) {
		t.Parallel()
		addr, b, _ := mustServeBudget(t, 3)
		silent := mustDial(t, addr) // accepted, no request: evictable first
		keepAlive := mustDial(t, addr)
		if st, err := get(keepAlive, "/"); err != nil || !strings.HasPrefix(st, "200") {
			t.Fatalf("keep-alive request: %q %v", st, err)
		}
		busy := mustDial(t, addr)
		if _, err := fmt.Fprint(busy, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		waitOpen(t, b, 3)
		waitHolding(t, b, 1)
		// Newcomers evict the silent one, then the idle keep-alive one;
		// the request in progress is never touched.
		for i, victim := range []net.Conn{silent, keepAlive} {
			c := mustDial(t, addr)
			if st, err := get(c, "/"); err != nil || !strings.HasPrefix(st, "200") {
				t.Fatalf("newcomer %d: %q %v", i, st, err)
			}
			if !closedByServer(victim, 5*time.Second) {
				t.Fatalf("newcomer %d did not evict the oldest idle connection", i)
			}
		}
		if b.Evicted() < 2 || b.Shed() != 0 {
			t.Fatalf("evicted %d shed %d", b.Evicted(), b.Shed())
		}
		if closedByServer(busy, 200*time.Millisecond) {
			t.Fatal("a connection with a request in progress was evicted")
		}
	})
	t.Run("ErrShedWhenAllBusy", func(t *testing.T) {
		t.Parallel()
		addr, b, release := mustServeBudget(t, 2)
		for i := 0; i < 2; i++ {
			c := mustDial(t, addr)
			if _, err := fmt.Fprint(c, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
		}
		waitOpen(t, b, 2)
		waitHolding(t, b, 2) // both busy: none may be evicted
		extra := mustDial(t, addr)
		if !closedByServer(extra, 5*time.Second) {
			t.Fatal("a connection beyond a busy budget was held")
		}
		if b.Shed() != 1 {
			t.Fatalf("shed %d, want 1", b.Shed())
		}
		close(release) // the requests end; keep-alive idles make room again
		// The two connections turn idle when their responses are written,
		// which the newcomer may beat: it is shed until then, never after.
		deadline := time.Now().Add(10 * time.Second)
		for {
			st, err := get(mustDial(t, addr), "/")
			if err == nil && strings.HasPrefix(st, "200") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the busy requests ended: %q %v", st, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	t.Run("OKClosingFreesTheSlot", func(t *testing.T) {
		t.Parallel()
		addr, b, _ := mustServeBudget(t, 2)
		a, c := mustDial(t, addr), mustDial(t, addr)
		waitOpen(t, b, 2)
		a.Close()
		c.Close()
		waitOpen(t, b, 0)
	})
}

// TestBudgetConnKeepsTheDescriptor: a connection the budget admits still
// hands out its socket (syscall.Conn). Live chat's writers write to it
// without blocking through that descriptor; without it every WebSocket
// frame went through a goroutine and a blocking write of its own, and one
// node delivered 64-80 k chat messages/s where it had 183 k (loadws, 1,000
// subscribers, same machine, same minutes).
func TestBudgetConnKeepsTheDescriptor(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bl := NewConnBudget(4).Listener(ln)
	defer bl.Close()
	dialed := make(chan net.Conn, 1)
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Error(err)
		}
		dialed <- c
	}()
	c, err := bl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if dc := <-dialed; dc != nil {
		defer dc.Close()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		t.Fatalf("%T is not a syscall.Conn", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd uintptr
	if err := raw.Control(func(f uintptr) { fd = f }); err != nil || fd == 0 {
		t.Fatalf("descriptor %d (%v)", fd, err)
	}
}
