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
func goertzel(s []int16, freq float64) float64 {
	if len(s) == 0 {
		return 0
	}
	k := 2 * math.Cos(2*math.Pi*freq/sampleRate)
	var q1, q2, total float64
	for _, v := range s {
		x := float64(v)
		total += x * x
		q0 := k*q1 - q2 + x
		q2, q1 = q1, q0
	}
	power := q1*q1 + q2*q2 - k*q1*q2
	if total == 0 {
		return 0
	}
	return power / (total * float64(len(s)) / 2)
}
