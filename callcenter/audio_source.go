package callcenter

import (
	"math"
	"sync"
)

// playout plays clips back to back once, then reports done. It is handed to
// the send goroutine, which alone reads and advances it; the call goroutine
// only waits on done.
type playout struct {
	clips [][]int16
	clip  int
	pos   int
	done  chan struct{}
}

func newPlayout(clips ...[]int16) *playout {
	return &playout{clips: clips, done: make(chan struct{})}
}

func (p *playout) readFrame(frame []int16) bool {
	n := 0
	for n < len(frame) && p.clip < len(p.clips) {
		c := p.clips[p.clip]
		k := copy(frame[n:], c[p.pos:])
		n += k
		p.pos += k
		if p.pos >= len(c) {
			p.clip++
			p.pos = 0
		}
	}
	clear(frame[n:])
	if n == 0 {
		close(p.done)
		return false
	}
	return true
}

// frameQueue carries audio from one bridged leg to the other: the peer's
// receive goroutine pushes, this leg's send goroutine pops one frame per
// tick. Re-pacing on our own clock hides the peer's jitter; the queue keeps
// at most maxFrames so latency cannot grow when the two clocks drift.
type frameQueue struct {
	mu      sync.Mutex
	samples []int16 // pending audio, oldest first
}

const bridgeMaxFrames = 6 // 120 ms

func (q *frameQueue) push(pcm []int16) {
	q.mu.Lock()
	q.samples = append(q.samples, pcm...)
	if over := len(q.samples) - bridgeMaxFrames*frameSamples; over > 0 {
		q.samples = append(q.samples[:0], q.samples[over:]...)
	}
	q.mu.Unlock()
}

func (q *frameQueue) readFrame(frame []int16) bool {
	q.mu.Lock()
	n := copy(frame, q.samples)
	q.samples = append(q.samples[:0], q.samples[n:]...)
	q.mu.Unlock()
	clear(frame[n:])
	return true
}

// beep is the tone before a voicemail recording starts.
var beep = func() []int16 {
	const n = sampleRate * 3 / 10
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/sampleRate))
	}
	return out
}()

// silence returns d of silence, used for pauses between prompts.
func silence(ms int) []int16 { return make([]int16, sampleRate*ms/1000) }
