package callcenter

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// Limits on an uploaded or recorded prompt.
const (
	MaxPromptBytes    = 4 << 20 // the node caps every request body at 4 MiB (cmd/doithoai routes.go)
	MaxPromptDuration = 2 * time.Minute
	minPromptSamples  = sampleRate / 10 // 0.1 s: shorter is a mistake, not a prompt
	maxWAVChannels    = 8
	minWAVRate        = 4000
	maxWAVRate        = 384000
)

// WAV format tags (and the WAVE_FORMAT_EXTENSIBLE sub-format's first two
// bytes, which carry the same tag).
const (
	wavPCM        = 1
	wavFloat      = 3
	wavALaw       = 6
	wavMuLaw      = 7
	wavExtensible = 0xFFFE
)

// ConvertWAV decodes any common WAV (PCM 8/16/24/32-bit, IEEE float 32/64,
// A-law or μ-law; mono or up to 8 channels; 4-384 kHz) and returns it as
// telephony audio: 8 kHz mono 16-bit, channels averaged and resampled with
// a windowed-sinc low-pass so nothing above 4 kHz folds back as noise.
// Anything else is ErrWAVFormat with a message saying what is wrong.
func ConvertWAV(data []byte) ([]int16, error) {
	f, body, err := parseWAV(data)
	if err != nil {
		return nil, err
	}
	frameBytes := f.channels * f.bits / 8
	frames := len(body) / frameBytes
	if time.Duration(frames)*time.Second/time.Duration(f.rate) > MaxPromptDuration {
		return nil, fmt.Errorf("%w: longer than %v", ErrWAVFormat, MaxPromptDuration)
	}
	mono := make([]float64, frames)
	for i := range mono {
		var sum float64
		for ch := 0; ch < f.channels; ch++ {
			sum += f.sample(body[i*frameBytes+ch*f.bits/8:])
		}
		mono[i] = sum / float64(f.channels)
	}
	out := resample(mono, f.rate, sampleRate)
	if len(out) < minPromptSamples {
		return nil, fmt.Errorf("%w: shorter than 0.1 s", ErrWAVFormat)
	}
	pcm := make([]int16, len(out))
	for i, v := range out {
		pcm[i] = int16(math.Round(max(-32768, min(32767, v*32768))))
	}
	return pcm, nil
}

// wavFormat is a parsed fmt chunk.
type wavFormat struct {
	tag      uint16 // wavPCM, wavFloat, wavALaw, wavMuLaw (extensible resolved)
	channels int
	rate     int
	bits     int
}

func parseWAV(data []byte) (wavFormat, []byte, error) {
	var f wavFormat
	bad := func(format string, a ...any) (wavFormat, []byte, error) {
		return f, nil, fmt.Errorf("%w: %s", ErrWAVFormat, fmt.Sprintf(format, a...))
	}
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return bad("not a RIFF/WAVE file")
	}
	var fmtOK bool
	for p := 12; p+8 <= len(data); {
		id := string(data[p : p+4])
		size := int(binary.LittleEndian.Uint32(data[p+4 : p+8]))
		body := data[p+8:]
		if size > len(body) || size < 0 {
			size = len(body) // a truncated final chunk: keep what is there
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return bad("short fmt chunk")
			}
			f.tag = binary.LittleEndian.Uint16(body[0:2])
			f.channels = int(binary.LittleEndian.Uint16(body[2:4]))
			f.rate = int(binary.LittleEndian.Uint32(body[4:8]))
			f.bits = int(binary.LittleEndian.Uint16(body[14:16]))
			if f.tag == wavExtensible {
				if size < 40 {
					return bad("short extensible fmt chunk")
				}
				f.tag = binary.LittleEndian.Uint16(body[24:26])
			}
			if err := f.check(); err != nil {
				return f, nil, err
			}
			fmtOK = true
		case "data":
			if !fmtOK {
				return bad("data before fmt")
			}
			return f, body, nil
		}
		p += 8 + size + size%2 // chunks are padded to even sizes
	}
	return bad("no data chunk")
}

func (f wavFormat) check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrWAVFormat, fmt.Sprintf(format, a...))
	}
	switch {
	case f.channels < 1 || f.channels > maxWAVChannels:
		return bad("%d channels (1-%d accepted)", f.channels, maxWAVChannels)
	case f.rate < minWAVRate || f.rate > maxWAVRate:
		return bad("%d Hz (%d-%d accepted)", f.rate, minWAVRate, maxWAVRate)
	}
	ok := false
	switch f.tag {
	case wavPCM:
		ok = f.bits == 8 || f.bits == 16 || f.bits == 24 || f.bits == 32
	case wavFloat:
		ok = f.bits == 32 || f.bits == 64
	case wavALaw, wavMuLaw:
		ok = f.bits == 8
	default:
		return bad("format %d is not PCM, float, A-law or μ-law (compressed WAV such as MP3 or ADPCM: export as PCM)", f.tag)
	}
	if !ok {
		return bad("%d-bit samples in format %d", f.bits, f.tag)
	}
	return nil
}

// sample decodes one sample at b as a value in [-1, 1).
func (f wavFormat) sample(b []byte) float64 {
	switch f.tag {
	case wavFloat:
		var v float64
		if f.bits == 32 {
			v = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		} else {
			v = math.Float64frombits(binary.LittleEndian.Uint64(b))
		}
		if math.IsNaN(v) {
			return 0
		}
		return max(-1, min(1, v))
	case wavALaw:
		return float64(decodeALawSample(b[0])) / 32768
	case wavMuLaw:
		return float64(decodeULawSample(b[0])) / 32768
	}
	switch f.bits {
	case 8: // unsigned
		return (float64(b[0]) - 128) / 128
	case 16:
		return float64(int16(binary.LittleEndian.Uint16(b))) / 32768
	case 24:
		v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
		return float64(v) / (1 << 23)
	default:
		return float64(int32(binary.LittleEndian.Uint32(b))) / (1 << 31)
	}
}

// resampleZeros is the half-width of the sinc kernel in zero crossings:
// 24 with the Blackman window passes speech to about 3.2 kHz and stops
// what would alias (above 4 kHz) by more than 60 dB.
const resampleZeros = 24

// resample converts x from rate from to rate to by band-limited
// interpolation: each output sample is the input convolved with a
// Blackman-windowed sinc whose cut-off is 0.45 of the lower rate, so a
// down-sampled prompt keeps its speech band and loses what would alias.
func resample(x []float64, from, to int) []float64 {
	if from == to {
		return append([]float64(nil), x...)
	}
	ratio := float64(to) / float64(from)
	n := int(float64(len(x)) * ratio)
	// Cut-off in cycles per input sample.
	fc := 0.45 * math.Min(1, ratio)
	half := float64(resampleZeros) / (2 * fc) // kernel half-width in input samples
	if out, ok := resamplePolyphase(x, from, to, fc, half, n); ok {
		return out
	}
	// An odd rate with no small common factor: the kernel is tabulated
	// (kernelSteps points per input sample) and interpolated linearly, as
	// sin and cos per tap would take seconds.
	tab := make([]float64, int(half*kernelSteps)+2)
	for j := range tab {
		tab[j] = windowedSinc(float64(j)/kernelSteps, fc, half)
	}
	out := make([]float64, n)
	for i := range out {
		t := float64(i) / ratio // position in the input
		lo := max(0, int(math.Ceil(t-half)))
		hi := min(len(x)-1, int(math.Floor(t+half)))
		var acc float64
		for k := lo; k <= hi; k++ {
			pos := math.Abs(float64(k)-t) * kernelSteps
			j := int(pos)
			if j+1 >= len(tab) {
				continue
			}
			fr := pos - float64(j)
			acc += x[k] * (tab[j] + fr*(tab[j+1]-tab[j]))
		}
		out[i] = acc
	}
	return out
}

// maxPolyphaseCoefs bounds the polyphase filter bank (8 MB of float64).
const maxPolyphaseCoefs = 1 << 20

// resamplePolyphase is the exact filter for rates with a common factor
// (44.1 kHz: 80 phases, 48 kHz: one): output i sits at input position
// i·M/L, whose fractional part is one of L phases, each with its own
// precomputed taps, so the inner loop is a plain dot product. false when
// the bank would be too large.
func resamplePolyphase(x []float64, from, to int, fc, half float64, n int) ([]float64, bool) {
	g := gcd(from, to)
	L, M := to/g, from/g
	K := int(math.Ceil(half))
	taps := 2*K + 1
	if L*taps > maxPolyphaseCoefs {
		return nil, false
	}
	bank := make([]float64, L*taps)
	for p := 0; p < L; p++ {
		frac := float64(p) / float64(L)
		for j := 0; j < taps; j++ {
			if d := float64(j-K) - frac; math.Abs(d) <= half {
				bank[p*taps+j] = windowedSinc(d, fc, half)
			}
		}
	}
	out := make([]float64, n)
	for i := range out {
		num := i * M
		base, p := num/L, num%L
		h := bank[p*taps : (p+1)*taps]
		lo := base - K
		j0 := 0
		if lo < 0 {
			j0 = -lo
		}
		j1 := taps
		if lo+j1 > len(x) {
			j1 = len(x) - lo
		}
		var acc float64
		for j := j0; j < j1; j++ {
			acc += x[lo+j] * h[j]
		}
		out[i] = acc
	}
	return out, true
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

const kernelSteps = 256

// windowedSinc is the low-pass kernel 2fc·sinc(2fc·d) under a Blackman
// window of half-width half.
func windowedSinc(d, fc, half float64) float64 {
	w := 0.42 + 0.5*math.Cos(math.Pi*d/half) + 0.08*math.Cos(2*math.Pi*d/half)
	if d == 0 {
		return 2 * fc * w
	}
	a := 2 * math.Pi * fc * d
	return 2 * fc * math.Sin(a) / a * w
}
