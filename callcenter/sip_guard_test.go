package callcenter

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// A panic in a SIP handler is answered 500 and the process goes on (sipgo
// runs handlers in goroutines of their own: an unrecovered panic there ends
// the program).
func TestSIPHandlerPanicAnswered500(t *testing.T) {
	t.Parallel()
	ts := startTestServer(t, testConfig(t))
	fault := func(req *sip.Request) {
		if req.CallID().Value() == "boom" {
			panic("injected fault")
		}
	}
	ts.e.beforeHandler.Store(&fault)
	if code := udpOptionsStatus(t, "127.0.0.1", ts.addr, "boom"); code != 500 {
		t.Errorf("panicking handler: %d, want 500", code)
	}
	if code := udpOptionsStatus(t, "127.0.0.1", ts.addr, "calm"); code != 200 {
		t.Errorf("next request: %d, want 200", code)
	}
	if got := ts.metricValue(t, "doithoai_hotline_sip_handler_panics_total", nil); got != 1 {
		t.Errorf("panics metric %v, want 1", got)
	}
	ts.mustBeServing(t)
}

// RFC 4475 §3.3.15: a request in an unknown SIP version gets 505, whatever
// its method, and starts nothing.
func TestSIPVersionNotSupported(t *testing.T) {
	t.Parallel()
	ts := startTestServer(t, testConfig(t))
	for _, method := range []string{"OPTIONS", "INVITE", "REGISTER"} {
		t.Run(method, func(t *testing.T) {
			msg := sipOptions("UDP", "LOCAL", ts.addr, "v7-"+method)
			msg = strings.Replace(msg, "OPTIONS sip:1022@"+ts.addr+" SIP/2.0", method+" sip:1022@"+ts.addr+" SIP/7.0", 1)
			msg = strings.Replace(msg, "CSeq: 1 OPTIONS", "CSeq: 1 "+method, 1)
			msg = strings.Replace(msg, "Max-Forwards: 70\r\n", "Max-Forwards: 70\r\nContact: <sip:tester@LOCAL>\r\n", 1)
			got := udpExchange(t, "127.0.0.1", ts.addr, msg, 5*time.Second)
			if !strings.HasPrefix(got, "SIP/2.0 505 ") {
				t.Errorf("status line %q, want SIP/2.0 505", got)
			}
		})
	}
	if n := ts.e.active.Load(); n != 0 {
		t.Errorf("%d calls started by SIP/7.0 INVITEs", n)
	}
	if code := udpOptionsStatus(t, "127.0.0.1", ts.addr, "v2"); code != 200 {
		t.Errorf("SIP/2.0 OPTIONS: %d, want 200", code)
	}
}
