package callcenter

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The SDP of an INVITE or ACK comes from anyone who can reach the SIP
// port. parseSDP either refuses it with an error fit for a Warning header,
// or returns a media description we can act on: a real address and port,
// G.711 codecs only, each once; and our own answer built from it parses
// back to the same description.
func FuzzParseSDP(f *testing.F) {
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"))
	f.Add([]byte("v=0\nc=IN IP6 ::1\nm=audio 65535 RTP/AVP 0\na=sendonly\na=ptime:30\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		md, err := parseSDP(body)
		if err != nil {
			// handleInvite quotes the error in a Warning header.
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n\x00") || !strings.HasPrefix(msg, "sdp: ") && !errors.Is(err, ErrNoCommonCodec) {
				t.Fatalf("parseSDP(%q): error %q is not fit for a header", body, msg)
			}
			return
		}
		if !md.Addr.Addr().IsValid() || md.Addr.Port() == 0 {
			t.Fatalf("parseSDP(%q) accepted address %v", body, md.Addr)
		}
		if len(md.Codecs) == 0 || len(md.Codecs) > 2 {
			t.Fatalf("parseSDP(%q) accepted codecs %v", body, md.Codecs)
		}
		for i, c := range md.Codecs {
			if (c != PCMU && c != PCMA) || slices.Index(md.Codecs, c) != i {
				t.Fatalf("parseSDP(%q) accepted codecs %v", body, md.Codecs)
			}
		}
		if md.DTMFPT < -1 || md.DTMFPT > 127 {
			// RTP has 7 bits for the payload type (RFC 3550 §5.1).
			t.Fatalf("parseSDP(%q) accepted telephone-event payload type %d", body, md.DTMFPT)
		}

		answer := buildSDP(md.Addr.Addr(), int(md.Addr.Port()), 7, 2, md.Codecs, md.DTMFPT)
		back, err := parseSDP(answer)
		if err != nil {
			t.Fatalf("our answer to %q does not parse: %v\n%s", body, err, answer)
		}
		if back.Addr.Addr() != md.Addr.Addr().Unmap() || back.Addr.Port() != md.Addr.Port() ||
			!slices.Equal(back.Codecs, md.Codecs) || back.DTMFPT != md.DTMFPT || back.Ptime != 20 || back.Inactive {
			t.Fatalf("offer %q: answer %q parses as %+v, want %+v", body, answer, back, md)
		}
	})
}
