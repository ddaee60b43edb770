package callcenter

import "math"

// Test helpers for synthetic audio.

func tone(freq float64, seconds float64, amp float64) []int16 {
	n := int(seconds * sampleRate)
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/sampleRate))
	}
	return out
}

func rms(s []int16) float64 {
	if len(s) == 0 {
		return 0
	}
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)))
}

// goertzel returns the relative power of freq in s (0..1 of total energy).
// It is measured in 50 ms windows and summed, so that a phase jump (a
// packet the loaded machine dropped, a gap filled with silence) does not
// cancel the tone out as one bin over the whole signal would.
func goertzel(s []int16, freq float64) float64 {
	const window = sampleRate / 20
	var tone, total float64
	for start := 0; start < len(s); start += window {
		w := s[start:min(start+window, len(s))]
		k := 2 * math.Cos(2*math.Pi*freq/sampleRate)
		var q1, q2, energy float64
		for _, v := range w {
			x := float64(v)
			energy += x * x
			q0 := k*q1 - q2 + x
			q2, q1 = q1, q0
		}
		tone += (q1*q1 + q2*q2 - k*q1*q2) / (float64(len(w)) / 2)
		total += energy
	}
	if total == 0 {
		return 0
	}
	return min(1, tone/total)
}
