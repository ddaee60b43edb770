package callcenter

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"strings"
)

// DTMF arrives two ways: RFC 4733 telephone-event packets in the RTP stream
// and SIP INFO requests. Both end up as one byte per key ('0'-'9', '*', '#',
// 'A'-'D') on the call's digit channel.

const dtmfEvents = "0123456789*#ABCD"

// EventDigit maps an RFC 4733 event code to its key; ok is false for events
// that are not DTMF (e.g. fax tones).
func EventDigit(event uint8) (digit byte, ok bool) {
	if int(event) < len(dtmfEvents) {
		return dtmfEvents[event], true
	}
	return 0, false
}

// DigitEvent maps a key to its RFC 4733 event code.
func DigitEvent(digit byte) (event uint8, ok bool) {
	i := strings.IndexByte(dtmfEvents, upper(digit))
	return uint8(i), i >= 0
}

func upper(b byte) byte {
	if b >= 'a' && b <= 'z' {
		return b - 'a' + 'A'
	}
	return b
}

// EncodeTelephoneEvent builds the 4-byte RFC 4733 payload for one packet of
// an event. Senders repeat it every 20 ms with a growing duration and send
// the end packet three times; all packets of one event share the RTP
// timestamp of its start.
func EncodeTelephoneEvent(digit byte, end bool, duration uint16) []byte {
	ev, _ := DigitEvent(digit)
	p := make([]byte, 4)
	p[0] = ev
	p[1] = 10 // volume −10 dBm0
	if end {
		p[1] |= 0x80
	}
	binary.BigEndian.PutUint16(p[2:], duration)
	return p
}

// dtmfDetector turns a stream of telephone-event packets into key presses.
// A key is reported on the first packet of an event (so barge-in reacts at
// once); later packets, the end bit and its retransmissions carry the same
// RTP timestamp and are ignored. Owned by the RTP receive goroutine.
type dtmfDetector struct {
	seen   bool
	lastTS uint32
}

func (d *dtmfDetector) packet(ts uint32, payload []byte) (digit byte, ok bool) {
	if len(payload) < 4 {
		return 0, false
	}
	if d.seen && ts == d.lastTS {
		return 0, false
	}
	d.seen, d.lastTS = true, ts
	return EventDigit(payload[0])
}

// parseINFODigit reads the key from a SIP INFO body: application/dtmf-relay
// ("Signal=5\r\nDuration=160") or application/dtmf ("5").
func parseINFODigit(contentType string, body []byte) (byte, bool) {
	ct := strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	var sig string
	switch ct {
	case "application/dtmf-relay":
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				sig = strings.TrimSpace(v)
			}
		}
	case "application/dtmf":
		sig = strings.TrimSpace(string(body))
	default:
		return 0, false
	}
	switch {
	case len(sig) == 1:
		if _, ok := DigitEvent(sig[0]); ok {
			return upper(sig[0]), true
		}
	case sig == "10":
		return '*', true
	case sig == "11":
		return '#', true
	}
	return 0, false
}
