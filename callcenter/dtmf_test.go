package callcenter

import "testing"

func TestDTMFDetectorDeduplicates(t *testing.T) {
	t.Parallel()
	var d dtmfDetector
	var got []byte
	feed := func(ts uint32, digit byte, end bool, dur uint16) {
		if k, ok := d.packet(ts, EncodeTelephoneEvent(digit, end, dur)); ok {
			got = append(got, k)
		}
	}
	// '5': start, continuation, end sent three times (RFC 4733 §2.5.1.4).
	feed(1000, '5', false, 160)
	feed(1000, '5', false, 320)
	for range 3 {
		feed(1000, '5', true, 480)
	}
	// '#' whose start packet was lost: only end packets arrive.
	feed(2000, '#', true, 800)
	feed(2000, '#', true, 800)
	// the same key pressed twice is two events with new timestamps.
	feed(3000, '1', false, 160)
	feed(4000, '1', false, 160)
	if string(got) != "5#11" {
		t.Fatalf("digits = %q, want %q", got, "5#11")
	}
	if _, ok := d.packet(5000, []byte{1, 2}); ok {
		t.Fatal("short payload accepted")
	}
}

func TestParseINFODigit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ct, body string
		want     byte
		ok       bool
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5', true},
		{"application/dtmf-relay", "Signal= #\r\nDuration=100", '#', true},
		{"Application/DTMF-Relay; charset=x", "signal=*\r\n", '*', true},
		{"application/dtmf", "7", '7', true},
		{"application/dtmf", "11", '#', true},
		{"application/dtmf", "x", 0, false},
		{"text/plain", "5", 0, false},
		{"application/dtmf-relay", "Duration=160", 0, false},
	} {
		got, ok := parseINFODigit(tc.ct, []byte(tc.body))
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s %q = %q,%v want %q,%v", tc.ct, tc.body, got, ok, tc.want, tc.ok)
		}
	}
}
