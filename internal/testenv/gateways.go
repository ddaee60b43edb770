package testenv

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/doithoai/doithoai/internal/localserver"
)

// Kannel starts a Kannel gateway of t's own (bearerbox, smsbox and
// fakesmsc as the SMSC, on free loopback ports), stopped when t ends. Its
// Messages are what the fake SMSC received.
func Kannel(t testing.TB) *localserver.Kannel {
	t.Helper()
	return KannelInbound(t, "")
}

// KannelInbound is Kannel with smsbox delivering mobile-originated SMS
// (Kannel.InjectMO) to inboundURL, its sms-service get-url.
func KannelInbound(t testing.TB, inboundURL string) *localserver.Kannel {
	t.Helper()
	// Kannel's four ports are picked free but bound later by three
	// processes; parallel test binaries can take one in between, and
	// bearerbox then never comes up. Try again on fresh ports, in a fresh
	// directory (StartKannel stops what it started when it fails).
	var k *localserver.Kannel
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if k, err = localserver.StartKannelInbound(context.Background(), filepath.Join(t.TempDir(), "kannel"), inboundURL); err == nil || errors.Is(err, localserver.ErrNoKannel) {
			break
		}
		t.Logf("testenv: kannel attempt %d: %v", attempt, err)
	}
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(k.Stop)
	return k
}

var (
	devsmtpOnce sync.Once
	devsmtpBin  string
	devsmtpErr  error
)

// SMTP starts a real SMTP server of t's own (cmd/devsmtp, built once per
// test binary) that requires AUTH PLAIN and keeps each message it accepts;
// it is stopped when t ends.
func SMTP(t testing.TB) *localserver.SMTP {
	t.Helper()
	return startSMTP(t, false)
}

// SMTPStartTLS is SMTP offering STARTTLS with a self-signed certificate
// (its CertFile) that clients must be told to trust.
func SMTPStartTLS(t testing.TB) *localserver.SMTP {
	t.Helper()
	return startSMTP(t, true)
}

func startSMTP(t testing.TB, starttls bool) *localserver.SMTP {
	t.Helper()
	devsmtpOnce.Do(func() {
		dir, err := os.MkdirTemp("", "doithoai-devsmtp-")
		if err != nil {
			devsmtpErr = err
			return
		}
		devsmtpBin = filepath.Join(dir, "devsmtp")
		out, err := exec.Command("go", "build", "-o", devsmtpBin, "github.com/doithoai/doithoai/cmd/devsmtp").CombinedOutput()
		if err != nil {
			devsmtpErr = &buildError{err: err, out: string(out)}
		}
	})
	if devsmtpErr != nil {
		t.Fatalf("testenv: build devsmtp: %v", devsmtpErr)
	}
	s, err := localserver.StartSMTP(context.Background(), devsmtpBin, t.TempDir(), "notify", "smtp-test", starttls)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }
