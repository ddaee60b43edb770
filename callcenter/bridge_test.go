package callcenter

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// The caller's number, as the caller wrote it in From, is the display name
// of the INVITE that rings the agent. A quote, a backslash and control
// characters in it must come out as one well-formed quoted-string, not as a
// broken From header.
func TestAgentInviteQuotesCallerName(t *testing.T) {
	t.Parallel()
	ts := startTestServer(t, testConfig(t))
	st := ts.recordSteps()
	ts.store.AddAgent("lan", "secret")
	agentPhone := newAgentPhone(t, "lan", true)
	if code := agentPhone.register(t, ts.addr, "lan", "secret"); code != 200 {
		t.Fatalf("REGISTER: %d", code)
	}
	caller := newPhone(t, "caller")
	from := sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "09\"12\\\x7f 34", Host: "127.0.0.1"}}
	from.Params.Add("tag", sip.GenerateTagN(8))
	caller.mustCall(ts.addr, "1022", "udp", &from)
	caller.press("11")
	var dlg *sipgo.DialogServerSession
	select {
	case dlg = <-agentPhone.invites:
	case <-time.After(10 * time.Second):
		st.wait(t, caller, "agent:lan") // fails with the steps reached
		t.Fatal("agent phone never answered")
	}
	inv := dlg.InviteRequest
	if n := len(inv.GetHeaders("From")); n != 1 {
		t.Fatalf("%d From headers in the agent's INVITE:\n%s", n, inv)
	}
	f := inv.From()
	if want := `09\"12\\ 34`; f.DisplayName != want {
		t.Errorf("display name %q, want %q (quoted-string content)", f.DisplayName, want)
	}
	if f.Address.User != "091234" || f.Params.Has("tag") == false {
		t.Errorf("From %q: want user 091234 and a tag", f.Value())
	}
	if strings.ContainsAny(inv.String(), "\x7f") {
		t.Errorf("control character forwarded:\n%s", inv)
	}
}

func TestQuotedStringContent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"OK", "0912 345 678", "0912 345 678"},
		{"Vietnamese", "Nguyễn Văn A", "Nguyễn Văn A"},
		{"QuoteAndBackslash", `a"b\c`, `a\"b\\c`},
		{"CRLFAndControls", "a\r\nX-Injected: 1\x00\x1b\x7f", "aX-Injected: 1"},
		{"BidiOverride", "\u202e0912", "0912"},
		{"InvalidUTF8", "a\xff\xfeb", "ab"},
		{"Long", strings.Repeat("9", 100), strings.Repeat("9", maxDisplayName)},
		{"NoCutEscape", strings.Repeat("9", maxDisplayName-1) + `"`, strings.Repeat("9", maxDisplayName-1)},
		{"NoCutRune", strings.Repeat("9", maxDisplayName-1) + "ễ", strings.Repeat("9", maxDisplayName-1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := quotedStringContent(tc.in); got != tc.want {
				t.Errorf("quotedStringContent(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// Whatever the caller's number holds, the agent's INVITE parses back with
// one From header, the number as its display name, and nothing injected.
func TestAgentInviteHeaderInjection(t *testing.T) {
	t.Parallel()
	a := &agent{login: "lan", contact: sip.Uri{Scheme: "sip", User: "lan", Host: "127.0.0.1", Port: 5070}, dest: "127.0.0.1:5070", transport: "UDP"}
	caller := "0912\"\r\nX-Injected: yes\r\nFrom: <sip:boss@evil.example>;tag=x\r\n\r\n"
	req := agentInvite(a, caller, netip.MustParseAddr("127.0.0.1"), 5060)
	req.AppendHeader(sip.NewHeader("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKinj"))
	req.AppendHeader(sip.NewHeader("Call-ID", "inj"))
	req.AppendHeader(sip.NewHeader("CSeq", "1 INVITE"))
	req.SetBody([]byte("v=0\r\n"))
	msg, err := sip.NewParser().ParseSIP([]byte(req.String()))
	if err != nil {
		t.Fatalf("agent's INVITE does not parse: %v\n%s", err, req)
	}
	got := msg.(*sip.Request)
	if n := len(got.GetHeaders("From")); n != 1 {
		t.Errorf("%d From headers:\n%s", n, req)
	}
	if got.GetHeader("X-Injected") != nil {
		t.Errorf("header injected:\n%s", req)
	}
	if want := `0912\"X-Injected: yesFrom: <sip:boss@evil.example>;tag=x`; got.From().DisplayName != want {
		t.Errorf("display name %q, want %q", got.From().DisplayName, want)
	}
	if got.From().Address.Host != "127.0.0.1" || got.From().Address.User != "0912X-InjectedyesFromsipbossevil" {
		t.Errorf("From address %s", got.From().Address.String())
	}
}
