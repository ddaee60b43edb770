package localserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf16"
)

// Kannel is a running Kannel SMS gateway owned by this process: bearerbox,
// smsbox (the sendsms HTTP interface) and Kannel's fakesmsc as the SMSC,
// whose output is read into Messages. Stop and Start again keep the ports,
// so a client sees the gateway go away and come back.
type Kannel struct {
	Dir                                    string
	AdminPort, BoxPort, SMSCPort, HTTPPort int
	User, Password                         string

	// InboundURL is smsbox's get-url for mobile-originated SMS (Kannel's
	// %p sender and %a text escapes in it); empty: MO messages get no service.
	InboundURL string

	mu    sync.Mutex
	msgs  []SMS
	procs []*exec.Cmd
	waits []chan error
	wake  chan struct{}
	mo    *os.File // fakesmsc's stdin: each line is an MO message it sends
}

// SMS is a message the fake SMSC received.
type SMS struct {
	From, To, Text string
	Coding         string // "text" or "ucs-2"
	Parts          int    // how many SMS it was sent as (concatenated)
}

// ErrNoKannel is returned when Kannel's binaries are missing.
var ErrNoKannel = errors.New("kannel not found: install it with `apt-get install -y kannel kannel-extras` (bearerbox, smsbox and test/fakesmsc)")

// Kannel binaries (Debian: kannel, and kannel-extras for fakesmsc).
var (
	bearerboxBin = "/usr/sbin/bearerbox"
	smsboxBin    = "/usr/sbin/smsbox"
	fakesmscBin  = "/usr/lib/kannel/test/fakesmsc"
)

// StartKannel writes a minimal kannel.conf in dir and starts the boxes on
// free loopback ports.
func StartKannel(ctx context.Context, dir string) (*Kannel, error) {
	return StartKannelInbound(ctx, dir, "")
}

// StartKannelInbound is StartKannel with smsbox delivering each
// mobile-originated SMS to inboundURL (an sms-service get-url, as a
// deployment configures it; see the README), never answering the sender.
func StartKannelInbound(ctx context.Context, dir, inboundURL string) (*Kannel, error) {
	for _, b := range []string{bearerboxBin, smsboxBin, fakesmscBin} {
		if _, err := os.Stat(b); err != nil {
			return nil, ErrNoKannel
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	k := &Kannel{Dir: dir, User: "doithoai", Password: "kannel-test", InboundURL: inboundURL, wake: make(chan struct{})}
	for _, p := range []*int{&k.AdminPort, &k.BoxPort, &k.SMSCPort, &k.HTTPPort} {
		var err error
		if *p, err = FreePort(); err != nil {
			return nil, err
		}
	}
	conf := fmt.Sprintf(`group = core
admin-port = %d
admin-password = admin-test
smsbox-port = %d
box-allow-ip = 127.0.0.1
admin-allow-ip = 127.0.0.1
log-file = "%s/bearerbox.log"
log-level = 1
store-type = file
store-location = "%s/kannel.store"

group = smsc
smsc = fake
smsc-id = FAKE
port = %d
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = %d
sendsms-port = %d
sendsms-interface = 127.0.0.1
log-file = "%s/smsbox.log"
log-level = 1

group = sendsms-user
username = %s
password = %s
concatenation = true
max-messages = 10

`, k.AdminPort, k.BoxPort, dir, dir, k.SMSCPort, k.BoxPort, k.HTTPPort, dir, k.User, k.Password)
	if inboundURL == "" {
		conf += "\ngroup = sms-service\nkeyword = default\ntext = \"No service\"\n"
	} else {
		// The node answers nothing by SMS (max-messages = 0): no reply to
		// unknown numbers. %p is the sender, %a the whole text.
		conf += fmt.Sprintf("\ngroup = sms-service\nkeyword = default\ncatch-all = true\nmax-messages = 0\nget-url = %q\n", inboundURL)
	}
	if err := os.WriteFile(filepath.Join(dir, "kannel.conf"), []byte(conf), 0o644); err != nil {
		return nil, err
	}
	if err := k.Start(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// SendURL is the sendsms URL with the credentials (SMS_GATEWAY_URL).
func (k *Kannel) SendURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/sendsms?username=%s&password=%s", k.HTTPPort, k.User, k.Password)
}

// Start starts the three processes (after Stop, on the same ports) and
// waits until bearerbox reports the SMSC online and smsbox connected.
func (k *Kannel) Start(ctx context.Context) error {
	conf := filepath.Join(k.Dir, "kannel.conf")
	if err := k.spawn(bearerboxBin, []string{conf}, "bearerbox.out", nil); err != nil {
		return err
	}
	if err := k.waitStatus(ctx, "FAKE:"); err != nil {
		k.Stop()
		return fmt.Errorf("bearerbox: %w (see %s)", err, filepath.Join(k.Dir, "bearerbox.log"))
	}
	// fakesmsc runs interactive: it sends each line of its stdin as a
	// mobile-originated SMS (InjectMO) and prints those it receives; it
	// and smsbox end when bearerbox does.
	pr, pw := io.Pipe()
	moR, moW, err := os.Pipe()
	if err != nil {
		k.Stop()
		return err
	}
	k.mu.Lock()
	k.mo = moW
	k.mu.Unlock()
	err = k.spawnIn(fakesmscBin, []string{"-H", "127.0.0.1", "-r", strconv.Itoa(k.SMSCPort)}, "", pw, moR)
	moR.Close() // the child has its copy
	if err != nil {
		k.Stop()
		return err
	}
	go k.read(pr)
	if err := k.spawn(smsboxBin, []string{conf}, "smsbox.out", nil); err != nil {
		k.Stop()
		return err
	}
	if err := k.waitStatus(ctx, fmt.Sprintf("FAKE:%d (online", k.SMSCPort), "smsbox:"); err != nil {
		k.Stop()
		return fmt.Errorf("kannel: %w (see %s)", err, k.Dir)
	}
	if err := waitPort(ctx, k.HTTPPort, 15*time.Second); err != nil {
		k.Stop()
		return fmt.Errorf("smsbox: %w (see %s)", err, filepath.Join(k.Dir, "smsbox.log"))
	}
	return nil
}

// waitStatus polls bearerbox's status page until it shows every want.
func (k *Kannel) waitStatus(ctx context.Context, want ...string) error {
	u := fmt.Sprintf("http://127.0.0.1:%d/status.txt?password=admin-test", k.AdminPort)
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if resp, err := http.Get(u); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = string(b)
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(last, w)
			}
			if ok {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("status never showed %q; last: %s", want, last)
}

func (k *Kannel) spawn(bin string, args []string, logName string, out io.WriteCloser) error {
	return k.spawnIn(bin, args, logName, out, nil)
}

// InjectMO makes the fake SMSC deliver an SMS from the phone number from
// to the short number to, as a carrier would: bearerbox passes it to
// smsbox, which calls InboundURL. text is sent as 7-bit text (fakesmsc's
// "text" type): no line breaks.
func (k *Kannel) InjectMO(from, to, text string) error {
	if strings.ContainsAny(from+to+text, "\r\n") || strings.ContainsRune(from+to, ' ') {
		return fmt.Errorf("kannel: an MO message is one line, sender and receiver without spaces")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.mo == nil {
		return errors.New("kannel: not running")
	}
	_, err := fmt.Fprintf(k.mo, "%s %s text %s\n", from, to, text)
	return err
}

func (k *Kannel) spawnIn(bin string, args []string, logName string, out io.WriteCloser, in *os.File) error {
	cmd := exec.Command(bin, args...)
	if in != nil {
		cmd.Stdin = in
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if out == nil {
		f, err := os.Create(filepath.Join(k.Dir, logName))
		if err != nil {
			return err
		}
		out = f
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start %s: %w", filepath.Base(bin), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); out.Close() }()
	k.mu.Lock()
	k.procs, k.waits = append(k.procs, cmd), append(k.waits, done)
	k.mu.Unlock()
	return nil
}

// read parses fakesmsc's lines "Got message N: <from to coding data>",
// or "<from to udh UDH data DATA>" for a part of a concatenated message;
// parts are put together into one SMS once all have arrived.
func (k *Kannel) read(r io.Reader) {
	parts := map[string][][]byte{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		i, j := strings.Index(line, "Got message"), strings.LastIndexByte(line, '>')
		if i < 0 || j < 0 {
			continue
		}
		lt := strings.IndexByte(line[i:], '<')
		if lt < 0 {
			continue
		}
		f := strings.SplitN(line[i+lt+1:j], " ", 4)
		if len(f) < 4 {
			continue
		}
		m := SMS{From: f[0], To: f[1], Coding: f[2], Parts: 1}
		if f[2] != "udh" {
			m.Text = decodeFake(f[2], f[3])
		} else {
			udhData := strings.SplitN(f[3], " data ", 2)
			if len(udhData) != 2 {
				continue
			}
			udh, _ := url.QueryUnescape(udhData[0])
			data, _ := url.QueryUnescape(udhData[1])
			// 05 00 03 ref total seq: 8-bit concatenation reference.
			if len(udh) < 6 || udh[1] != 0 || udh[2] != 3 || udh[4] == 0 || udh[5] == 0 || udh[5] > udh[4] {
				continue
			}
			key := fmt.Sprintf("%s %s %d", m.From, m.To, udh[3])
			if parts[key] == nil {
				parts[key] = make([][]byte, udh[4])
			}
			parts[key][udh[5]-1] = []byte(data)
			var all []byte
			complete := true
			for _, p := range parts[key] {
				complete = complete && p != nil
				all = append(all, p...)
			}
			if !complete {
				continue
			}
			delete(parts, key)
			m.Parts = int(udh[4])
			// fakesmsc does not print the coding of parts: UCS-2 is told
			// by its high bytes (below 0x20 for Latin and Vietnamese).
			m.Coding, m.Text = "text", string(all)
			if looksUCS2(all) {
				m.Coding, m.Text = "ucs-2", decodeUCS2(all)
			}
		}
		k.mu.Lock()
		k.msgs = append(k.msgs, m)
		close(k.wake)
		k.wake = make(chan struct{})
		k.mu.Unlock()
	}
}

func looksUCS2(b []byte) bool {
	if len(b) == 0 || len(b)%2 != 0 {
		return false
	}
	low := 0
	for i := 0; i < len(b); i += 2 {
		if b[i] < 0x20 {
			low++
		}
	}
	return low*2 > len(b)/2
}

// decodeFake decodes fakesmsc's URL-encoded data.
func decodeFake(coding, data string) string {
	raw, err := url.QueryUnescape(data)
	if err != nil {
		return data
	}
	if coding != "ucs-2" && coding != "ucs2" {
		return raw
	}
	return decodeUCS2([]byte(raw))
}

// decodeUCS2 decodes big-endian UTF-16.
func decodeUCS2(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}

// Messages returns what the fake SMSC received so far.
func (k *Kannel) Messages() []SMS {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]SMS(nil), k.msgs...)
}

// WaitMessages waits until the SMSC received at least n messages, or ctx ends.
func (k *Kannel) WaitMessages(ctx context.Context, n int) ([]SMS, error) {
	for {
		k.mu.Lock()
		msgs, wake := append([]SMS(nil), k.msgs...), k.wake
		k.mu.Unlock()
		if len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-ctx.Done():
			return msgs, fmt.Errorf("%d of %d SMS arrived: %w", len(msgs), n, ctx.Err())
		case <-wake:
		}
	}
}

// Stop ends the boxes (bearerbox first, which ends the others) and waits.
func (k *Kannel) Stop() {
	k.mu.Lock()
	procs, waits := k.procs, k.waits
	k.procs, k.waits = nil, nil
	if k.mo != nil {
		k.mo.Close()
		k.mo = nil
	}
	k.mu.Unlock()
	for _, p := range procs {
		_ = p.Process.Signal(syscall.SIGTERM)
	}
	for i, w := range waits {
		select {
		case <-w:
		case <-time.After(15 * time.Second):
			_ = procs[i].Process.Kill()
			<-w
		}
	}
}

func waitPort(ctx context.Context, port int, d time.Duration) error {
	deadline := time.Now().Add(d)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("port %d not open in time", port)
}
