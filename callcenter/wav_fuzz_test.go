package callcenter

import (
	"errors"
	"slices"
	"testing"
)

// Prompts are WAV files that an operator supplies. DecodeWAV either
// refuses a file with ErrWAVFormat or returns no more samples than the
// file has bytes for, and what it returns survives EncodeWAV unchanged.
func FuzzDecodeWAV(f *testing.F) {
	wav := EncodeWAV([]int16{0, 1000, -1000, 32767, -32768})
	f.Add(wav)
	f.Add(wav[:40]) // truncated in the data header
	f.Fuzz(func(t *testing.T, data []byte) {
		samples, err := DecodeWAV(data)
		if err != nil {
			if !errors.Is(err, ErrWAVFormat) {
				t.Fatalf("DecodeWAV(%q): %v, want ErrWAVFormat", data, err)
			}
			return
		}
		if 2*len(samples) > len(data)-wavHeaderBytes {
			t.Fatalf("%d bytes decoded to %d samples", len(data), len(samples))
		}
		back, err := DecodeWAV(EncodeWAV(samples))
		if err != nil || !slices.Equal(back, samples) {
			t.Fatalf("re-encoded samples decode to %d samples, %v", len(back), err)
		}
	})
}
