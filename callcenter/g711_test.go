package callcenter

import (
	"math"
	"testing"
)

func TestG711RoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range []Codec{PCMU, PCMA} {
		t.Run(c.Name, func(t *testing.T) {
			// Every code word must survive decode → encode unchanged; this
			// catches sign and segment mistakes in either direction.
			for b := range 256 {
				s := c.Decode(nil, []byte{byte(b)})[0]
				got := c.Encode(nil, []int16{s})[0]
				if got != byte(b) && !(c == PCMU && b == 0x7F) { // µ-law has two zeros
					t.Fatalf("code %#02x → %d → %#02x", b, s, got)
				}
			}
			// Quantisation error stays within G.711's ~3% of amplitude.
			for _, v := range []int16{-32768, -20000, -1000, -100, -5, 0, 5, 100, 1000, 20000, 32767} {
				got := c.Decode(nil, c.Encode(nil, []int16{v}))[0]
				tol := math.Max(16, math.Abs(float64(v))*0.07)
				if math.Abs(float64(got)-float64(v)) > tol {
					t.Errorf("%d decoded as %d", v, got)
				}
			}
			if z := c.Decode(nil, []byte{c.SilenceByte()})[0]; z < -8 || z > 8 {
				t.Errorf("silence byte decodes to %d", z)
			}
		})
	}
}

func TestG711KnownValues(t *testing.T) {
	t.Parallel()
	// Reference values from ITU-T G.711 tables.
	if got := PCMU.Encode(nil, []int16{0})[0]; got != 0xFF {
		t.Errorf("µ-law(0) = %#x, want 0xff", got)
	}
	if got := PCMA.Encode(nil, []int16{0})[0]; got != 0xD5 {
		t.Errorf("A-law(0) = %#x, want 0xd5", got)
	}
	if got := PCMU.Decode(nil, []byte{0x00})[0]; got != -32124 {
		t.Errorf("µ-law 0x00 = %d, want -32124", got)
	}
	if got := PCMA.Decode(nil, []byte{0xAA})[0]; got != 32256 {
		t.Errorf("A-law 0xaa = %d, want 32256", got)
	}
}
