package callcenter

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseSDP(t *testing.T) {
	t.Parallel()
	offer := "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n" +
		"m=audio 4000 RTP/AVP 8 0 96\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n" +
		"a=rtpmap:96 telephone-event/8000\r\na=ptime:20\r\n" +
		"m=video 5000 RTP/AVP 97\r\nc=IN IP4 10.9.9.9\r\n"
	md, err := parseSDP([]byte(offer))
	if err != nil {
		t.Fatal(err)
	}
	if md.Addr != netip.MustParseAddrPort("10.0.0.1:4000") {
		t.Errorf("addr = %v", md.Addr)
	}
	if len(md.Codecs) != 2 || md.Codecs[0] != PCMA || md.Codecs[1] != PCMU {
		t.Errorf("codecs = %v, want caller's order PCMA, PCMU", md.Codecs)
	}
	if md.DTMFPT != 96 || md.Ptime != 20 {
		t.Errorf("dtmf pt %d ptime %d", md.DTMFPT, md.Ptime)
	}
}

func TestParseSDPErrors(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"NoAudio":   "v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 1 RTP/AVP 97\r\n",
		"OnlyG729":  "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 18\r\n",
		"BadAddr":   "v=0\r\nc=IN IP4 nonsense\r\nm=audio 4000 RTP/AVP 0\r\n",
		"Rejected":  "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 0 RTP/AVP 0\r\n",
		"Garbage":   "\x00\x01\x02",
		"BadPort":   "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 99999 RTP/AVP 0\r\n",
		"NoConnect": "v=0\r\nm=audio 4000 RTP/AVP 0\r\n",
	} {
		if _, err := parseSDP([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	_, err := parseSDP([]byte("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 18\r\n"))
	if !errors.Is(err, ErrNoCommonCodec) {
		t.Errorf("err = %v, want ErrNoCommonCodec", err)
	}
}

func TestBuildSDPRoundTrip(t *testing.T) {
	t.Parallel()
	body := buildSDP(netip.MustParseAddr("127.0.0.1"), 12000, 7, 1, []Codec{PCMU, PCMA}, telephoneEventPT)
	for _, want := range []string{"m=audio 12000 RTP/AVP 0 8 101\r\n", "a=rtpmap:101 telephone-event/8000", "a=ptime:20"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("missing %q in\n%s", want, body)
		}
	}
	md, err := parseSDP(body)
	if err != nil {
		t.Fatal(err)
	}
	if md.Addr.Port() != 12000 || md.DTMFPT != 101 || len(md.Codecs) != 2 {
		t.Errorf("round trip: %+v", md)
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
