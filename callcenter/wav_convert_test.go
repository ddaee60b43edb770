package callcenter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"testing"
)

// testWAV encodes samples (per frame, per channel, in [-1, 1]) as a WAV of
// the given format tag and bit depth; extensible wraps the tag in
// WAVE_FORMAT_EXTENSIBLE as many editors write it.
func testWAV(tag uint16, extensible bool, rate, bits int, frames [][]float64) []byte {
	channels := len(frames[0])
	var body []byte
	for _, fr := range frames {
		for _, v := range fr {
			switch {
			case tag == wavFloat && bits == 32:
				body = binary.LittleEndian.AppendUint32(body, math.Float32bits(float32(v)))
			case tag == wavFloat:
				body = binary.LittleEndian.AppendUint64(body, math.Float64bits(v))
			case tag == wavALaw:
				body = append(body, encodeALawSample(int16(v*32767)))
			case tag == wavMuLaw:
				body = append(body, encodeULawSample(int16(v*32767)))
			case bits == 8:
				body = append(body, byte(int(math.Round(v*127))+128))
			case bits == 16:
				body = binary.LittleEndian.AppendUint16(body, uint16(int16(v*32767)))
			case bits == 24:
				x := int32(v * 8388607)
				body = append(body, byte(x), byte(x>>8), byte(x>>16))
			default:
				body = binary.LittleEndian.AppendUint32(body, uint32(int32(v*2147483647)))
			}
		}
	}
	fmtBody := make([]byte, 16, 40)
	binary.LittleEndian.PutUint16(fmtBody[0:], tag)
	binary.LittleEndian.PutUint16(fmtBody[2:], uint16(channels))
	binary.LittleEndian.PutUint32(fmtBody[4:], uint32(rate))
	binary.LittleEndian.PutUint32(fmtBody[8:], uint32(rate*channels*bits/8))
	binary.LittleEndian.PutUint16(fmtBody[12:], uint16(channels*bits/8))
	binary.LittleEndian.PutUint16(fmtBody[14:], uint16(bits))
	if extensible {
		binary.LittleEndian.PutUint16(fmtBody[0:], wavExtensible)
		fmtBody = binary.LittleEndian.AppendUint16(fmtBody, 22)
		fmtBody = binary.LittleEndian.AppendUint16(fmtBody, uint16(bits))
		fmtBody = binary.LittleEndian.AppendUint32(fmtBody, 0) // channel mask
		fmtBody = binary.LittleEndian.AppendUint16(fmtBody, tag)
		fmtBody = append(fmtBody, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71)
	}
	out := []byte("RIFF\x00\x00\x00\x00WAVE")
	out = append(out, "fmt "...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(fmtBody)))
	out = append(out, fmtBody...)
	out = append(out, "LIST"...) // an INFO chunk before the data, as Audacity writes
	out = binary.LittleEndian.AppendUint32(out, 4)
	out = append(out, "INFO"...)
	out = append(out, "data"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(body)))
	out = append(out, body...)
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// sineFrames is freq Hz at amplitude amp for secs at rate, on every
// channel (the second channel inverted halves nothing: same phase).
func sineFrames(freq, amp, secs float64, rate, channels int) [][]float64 {
	n := int(secs * float64(rate))
	out := make([][]float64, n)
	for i := range out {
		v := amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))
		out[i] = make([]float64, channels)
		for ch := range out[i] {
			out[i][ch] = v
		}
	}
	return out
}

func TestConvertWAVFormats(t *testing.T) {
	t.Parallel()
	type format struct {
		name       string
		tag        uint16
		bits       int
		extensible bool
	}
	formats := []format{
		{"pcm8", wavPCM, 8, false}, {"pcm16", wavPCM, 16, false}, {"pcm24", wavPCM, 24, false},
		{"pcm32", wavPCM, 32, false}, {"float32", wavFloat, 32, false}, {"float64", wavFloat, 64, false},
		{"alaw", wavALaw, 8, false}, {"ulaw", wavMuLaw, 8, false},
		{"pcm24-extensible", wavPCM, 24, true}, {"float32-extensible", wavFloat, 32, true},
	}
	for _, f := range formats {
		// 44101 Hz has no common factor with 8000: the interpolated-kernel path.
		for _, rate := range []int{8000, 11025, 16000, 22050, 44100, 44101, 48000} {
			for _, channels := range []int{1, 2} {
				t.Run(fmt.Sprintf("%s/%d/%dch", f.name, rate, channels), func(t *testing.T) {
					got, err := ConvertWAV(testWAV(f.tag, f.extensible, rate, f.bits, sineFrames(1000, 0.5, 0.5, rate, channels)))
					if err != nil {
						t.Fatal(err)
					}
					if len(got) < 3990 || len(got) > 4010 {
						t.Errorf("%d samples, want 4000 (0.5 s at 8 kHz)", len(got))
					}
					// Skip the edges, where the filter sees the start and end of the file.
					mid := got[400 : len(got)-400]
					if g := goertzel(mid, 1000); g < 0.95 {
						t.Errorf("1 kHz carries %.3f of the energy, want ≥ 0.95", g)
					}
					if r, want := rms(mid), 0.5*32767/math.Sqrt2; math.Abs(r-want) > 0.05*want {
						t.Errorf("rms %.0f, want %.0f ±5%%", r, want)
					}
				})
			}
		}
	}
}

// A tone above 4 kHz cannot be carried at 8 kHz: a resampler that only
// picks samples would fold 6 kHz down to an audible 2 kHz at full level.
// The low-pass must remove it, and keep the top of the speech band.
func TestConvertWAVLowPass(t *testing.T) {
	t.Parallel()
	for _, rate := range []int{44100, 44101, 48000} {
		got, err := ConvertWAV(testWAV(wavPCM, false, rate, 16, sineFrames(6000, 0.8, 1, rate, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if r := rms(got[800 : len(got)-800]); r > 0.8*32767*0.001 {
			t.Errorf("%d Hz: 6 kHz tone leaves rms %.1f after conversion, want < -60 dB", rate, r)
		}
		got, err = ConvertWAV(testWAV(wavPCM, false, rate, 16, sineFrames(3000, 0.8, 1, rate, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if r, want := rms(got[800:len(got)-800]), 0.8*32767/math.Sqrt2; r < 0.9*want {
			t.Errorf("%d Hz: 3 kHz (speech band) rms %.0f, want ≥ 90%% of %.0f", rate, r, want)
		}
	}
}

func TestConvertWAVRefused(t *testing.T) {
	t.Parallel()
	tone := sineFrames(440, 0.5, 0.3, 8000, 1)
	mp3 := testWAV(wavPCM, false, 8000, 16, tone)
	binary.LittleEndian.PutUint16(mp3[20:], 0x55) // MPEG layer 3 in a WAV
	long := testWAV(wavPCM, false, 8000, 8, sineFrames(440, 0.5, MaxPromptDuration.Seconds()+1, 8000, 1))
	nine := testWAV(wavPCM, false, 8000, 16, sineFrames(440, 0.5, 0.3, 8000, 9))
	for name, data := range map[string][]byte{
		"not riff":   []byte("ID3\x04 this is an mp3"),
		"mp3 tag":    mp3,
		"12 bit":     testWAV(wavPCM, false, 8000, 12, tone),
		"9 channels": nine,
		"1 kHz rate": testWAV(wavPCM, false, 1000, 16, sineFrames(100, 0.5, 1, 1000, 1)),
		"too short":  testWAV(wavPCM, false, 8000, 16, sineFrames(440, 0.5, 0.05, 8000, 1)),
		"too long":   long,
		"no data":    []byte("RIFF\x04\x00\x00\x00WAVE"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ConvertWAV(data)
			if !errors.Is(err, ErrWAVFormat) {
				t.Fatalf("err = %v, want ErrWAVFormat", err)
			}
		})
	}
}

// BenchmarkConvertWAV: one minute of 48 kHz stereo, the largest common
// upload, converted while the admin waits.
func BenchmarkConvertWAV(b *testing.B) {
	data := testWAV(wavPCM, false, 48000, 16, sineFrames(440, 0.5, 60, 48000, 2))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ConvertWAV(data); err != nil {
			b.Fatal(err)
		}
	}
}
