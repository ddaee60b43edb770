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

// Uploads are any WAV an admin has. ConvertWAV either refuses a file with
// ErrWAVFormat or returns 8 kHz audio no longer than the file's frames
// allow, within the prompt limits; it never panics on a lying header.
func FuzzConvertWAV(f *testing.F) {
	f.Add(testWAV(wavPCM, false, 16000, 16, sineFrames(440, 0.5, 0.12, 16000, 1)))
	f.Add(testWAV(wavFloat, true, 11025, 32, sineFrames(440, 0.5, 0.12, 11025, 2)))
	f.Add(testWAV(wavMuLaw, false, 8000, 8, sineFrames(440, 0.5, 0.12, 8000, 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		samples, err := ConvertWAV(data)
		if err != nil {
			if !errors.Is(err, ErrWAVFormat) {
				t.Fatalf("ConvertWAV: %v, want ErrWAVFormat", err)
			}
			return
		}
		f, body, err := parseWAV(data)
		if err != nil {
			t.Fatalf("converted, but parseWAV refuses it: %v", err)
		}
		frames := len(body) / (f.channels * f.bits / 8)
		if want := frames * sampleRate / f.rate; len(samples) > want+1 {
			t.Fatalf("%d frames at %d Hz became %d samples, want ≤ %d", frames, f.rate, len(samples), want+1)
		}
		if len(samples) < minPromptSamples || len(samples) > int(MaxPromptDuration.Seconds())*sampleRate+1 {
			t.Fatalf("%d samples: outside the prompt limits", len(samples))
		}
	})
}
