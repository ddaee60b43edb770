package callcenter

import (
	"testing"
)

// Per-frame costs on the media hot path (every 20 ms, per call, per direction).

func BenchmarkG711EncodeFrame(b *testing.B) {
	pcm := tone(440, 0.02, 8000)
	buf := make([]byte, 0, frameSamples)
	for b.Loop() {
		buf = PCMU.Encode(buf[:0], pcm)
	}
}

func BenchmarkG711DecodeFrame(b *testing.B) {
	payload := PCMA.Encode(nil, tone(440, 0.02, 8000))
	pcm := make([]int16, 0, frameSamples)
	for b.Loop() {
		pcm = PCMA.Decode(pcm[:0], payload)
	}
}

func BenchmarkParseSDPOffer(b *testing.B) {
	body := buildSDP(mustAddr("192.0.2.10"), 40000, 1, 1, []Codec{PCMU, PCMA}, 101)
	for b.Loop() {
		if _, err := parseSDP(body); err != nil {
			b.Fatal(err)
		}
	}
}
