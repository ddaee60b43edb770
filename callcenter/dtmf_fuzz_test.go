package callcenter

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/pion/rtp"
)

// Every RTP packet that reaches a call's port goes through pion's
// Unmarshal and then either the RFC 4733 detector or the G.711 decoder, as
// rtpSession.recvLoop does. Whatever the bytes: a packet that parses
// marshals back to the same packet, the detector reports only keys and
// never the same event twice, and decoding yields one sample per byte that
// survives a second trip through the codec.
func FuzzRTPPacket(f *testing.F) {
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: 7, Timestamp: 1000, SSRC: 42},
		Payload: EncodeTelephoneEvent('5', false, 160)}
	raw, _ := pkt.Marshal()
	f.Add(raw, uint8(101))
	f.Add(raw[:5], uint8(101)) // truncated header
	f.Fuzz(func(t *testing.T, data []byte, dtmfPT uint8) {
		dtmfPT &= 0x7f
		var p rtp.Packet
		if p.Unmarshal(data) != nil {
			return
		}
		again, err := p.Marshal()
		if err != nil {
			t.Fatalf("%q parses but does not marshal: %v", data, err)
		}
		var q rtp.Packet
		if err := q.Unmarshal(again); err != nil {
			t.Fatalf("%q: our re-marshalled %q does not parse: %v", data, again, err)
		}
		if q.Version != p.Version || q.PayloadType != p.PayloadType || q.SequenceNumber != p.SequenceNumber ||
			q.Timestamp != p.Timestamp || q.SSRC != p.SSRC || q.Marker != p.Marker ||
			!slices.Equal(q.CSRC, p.CSRC) || !bytes.Equal(q.Payload, p.Payload) {
			t.Fatalf("%q: round trip changed the packet:\n%v\n%v", data, p, q)
		}

		if p.PayloadType == dtmfPT {
			var d dtmfDetector
			digit, ok := d.packet(p.Timestamp, p.Payload)
			if ok != (len(p.Payload) >= 4 && int(p.Payload[0]) < len(dtmfEvents)) || ok && strings.IndexByte(dtmfEvents, digit) < 0 {
				t.Fatalf("payload %q: detector says %q %v", p.Payload, digit, ok)
			}
			if _, twice := d.packet(p.Timestamp, p.Payload); twice {
				t.Fatalf("payload %q reported twice for one timestamp", p.Payload)
			}
			if ok {
				ev, _ := DigitEvent(digit)
				if ev != p.Payload[0] {
					t.Fatalf("event %d reads as %q, which encodes as %d", p.Payload[0], digit, ev)
				}
			}
			return
		}
		for _, c := range []Codec{PCMU, PCMA} {
			pcm := c.Decode(nil, p.Payload)
			if len(pcm) != len(p.Payload) {
				t.Fatalf("%s: %d bytes decoded to %d samples", c.Name, len(p.Payload), len(pcm))
			}
			if back := c.Decode(nil, c.Encode(nil, pcm)); !slices.Equal(back, pcm) {
				t.Fatalf("%s: decode(encode(decode(x))) differs from decode(x) for %q", c.Name, p.Payload)
			}
		}
	})
}

// A SIP INFO carries a key as application/dtmf-relay or application/dtmf.
// Only those two media types (in any case, with any parameters) give a
// key; the key is one of the sixteen; and in a relay body the last Signal
// line is the one read.
func FuzzParseINFODigit(f *testing.F) {
	f.Add("application/dtmf-relay", []byte("Signal=5\r\nDuration=160\r\n"))
	f.Add("Application/DTMF; charset=x", []byte(" 11 "))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		d, ok := parseINFODigit(ct, body)
		media := strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
		if ok && (strings.IndexByte(dtmfEvents, d) < 0 || media != "application/dtmf-relay" && media != "application/dtmf") {
			t.Fatalf("parseINFODigit(%q, %q) = %q", ct, body, d)
		}
		if d2, ok2 := parseINFODigit(strings.ToUpper(ct), body); d2 != d || ok2 != ok {
			t.Fatalf("parseINFODigit(%q) = %q %v but upper-cased %q %v", ct, d, ok, d2, ok2)
		}
		longest := 0
		for _, l := range bytes.Split(body, []byte("\n")) {
			longest = max(longest, len(l))
		}
		if longest < 60000 { // bufio.Scanner's line limit
			relay := append(slices.Clip(body), "\r\nSignal=#\r\n"...)
			if d, ok := parseINFODigit("application/dtmf-relay", relay); !ok || d != '#' {
				t.Fatalf("relay body %q: got %q %v, want the last Signal '#'", relay, d, ok)
			}
		}
	})
}
