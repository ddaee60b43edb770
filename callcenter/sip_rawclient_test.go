package callcenter

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Raw SIP clients for the transport tests: plain sockets, so that a test can
// do what an attacker does (connect and stay silent, trickle bytes, speak
// another SIP version) and see exactly what the server sends back.

// sipOptions is an OPTIONS request from local (ip:port) over transport.
func sipOptions(transport, local, target, callID string) string {
	return "OPTIONS sip:1022@" + target + " SIP/2.0\r\n" +
		"Via: SIP/2.0/" + transport + " " + local + ";branch=z9hG4bK" + callID + "\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:tester@127.0.0.1>;tag=" + callID + "\r\n" +
		"To: <sip:1022@" + target + ">\r\n" +
		"Call-ID: " + callID + "\r\n" +
		"CSeq: 1 OPTIONS\r\n" +
		"Content-Length: 0\r\n\r\n"
}

// dialSIPFrom opens a TCP connection to addr from the loopback address ip
// (127.0.0.0/8 lets a test be many sources at once).
func dialSIPFrom(t *testing.T, ip, addr string) *net.TCPConn {
	t.Helper()
	c, err := tryDialSIPFrom(ip, addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func tryDialSIPFrom(ip, addr string) (*net.TCPConn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// tcpOptionsFrom is one OPTIONS round trip on a new connection from ip
// (0 if the connection or the answer fails).
func tcpOptionsFrom(ip, addr, callID string, wait time.Duration) int {
	c, err := tryDialSIPFrom(ip, addr)
	if err != nil {
		return 0
	}
	defer c.Close()
	return tcpOptions(c, addr, callID, wait)
}

// statusLine reads responses on r until a final one and returns its status
// line ("" on timeout or close). Provisional responses are skipped.
func statusLine(r *bufio.Reader) string {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return ""
		}
		line = strings.TrimRight(line, "\r\n")
		var code int
		if _, err := fmt.Sscanf(line, "SIP/2.0 %d", &code); err == nil && code >= 200 {
			return line
		}
	}
}

// tcpOptions sends OPTIONS on c and returns the final status (0: none
// within wait).
func tcpOptions(c *net.TCPConn, target, callID string, wait time.Duration) int {
	if _, err := c.Write([]byte(sipOptions("TCP", c.LocalAddr().String(), target, callID))); err != nil {
		return 0
	}
	c.SetReadDeadline(time.Now().Add(wait))
	defer c.SetReadDeadline(time.Time{})
	var code int
	fmt.Sscanf(statusLine(bufio.NewReader(c)), "SIP/2.0 %d", &code)
	return code
}

// udpExchange sends msg from a fresh socket on ip and returns the first
// final response's status line ("" if none within wait).
func udpExchange(t *testing.T, ip, addr, msg string, wait time.Duration) string {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg = strings.ReplaceAll(msg, "LOCAL", c.LocalAddr().String())
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteToUDP([]byte(msg), ua); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 8192)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return ""
		}
		line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		var v string
		var code int
		if _, err := fmt.Sscanf(line, "%s %d", &v, &code); err == nil && code >= 200 {
			return line
		}
	}
}

// udpOptionsStatus is an OPTIONS round trip over UDP from ip.
func udpOptionsStatus(t *testing.T, ip, addr, callID string) int {
	t.Helper()
	var code int
	fmt.Sscanf(udpExchange(t, ip, addr, sipOptions("UDP", "LOCAL", addr, callID), 5*time.Second), "SIP/2.0 %d", &code)
	return code
}

// closedByServer reports whether the server closed c (EOF or reset) within
// wait, discarding anything it sends first.
func closedByServer(c net.Conn, wait time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(wait))
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
	}
}

// pollUntil polls cond until it holds or d passes, and says whether it did.
func pollUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mustBeServing fails the test if the engine's serve has returned.
func (ts *testServer) mustBeServing(t *testing.T) {
	t.Helper()
	select {
	case err := <-ts.done:
		ts.done <- err // let stop see it too
		t.Fatalf("serve returned while not shutting down: %v", err)
	default:
	}
}
