package main

import (
	"math"
	"sync"
	"time"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/pion/rtp"
)

// shard sends RTP for its calls every 20 ms on an absolute clock.
type shard struct {
	mu    sync.Mutex
	calls map[*loadCall]struct{}
	quit  chan struct{}
	once  sync.Once
}

func (s *shard) add(c *loadCall) {
	s.mu.Lock()
	s.calls[c] = struct{}{}
	s.mu.Unlock()
}

func (s *shard) remove(c *loadCall) {
	s.mu.Lock()
	delete(s.calls, c)
	s.mu.Unlock()
}

func (s *shard) stop() { s.once.Do(func() { close(s.quit) }) }

// toneFrames is one second of a 440 Hz tone in PCMU, 50 frames: the caller's "voice".
var toneFrames = func() [][]byte {
	out := make([][]byte, 50)
	for f := range out {
		pcm := make([]int16, 160)
		for i := range pcm {
			n := f*160 + i
			pcm[i] = int16(3000 * math.Sin(2*math.Pi*440*float64(n)/8000))
		}
		out[f] = callcenter.PCMU.Encode(nil, pcm)
	}
	return out
}()

func (s *shard) run() {
	quit := s.quit
	buf := make([]byte, 1500)
	next := time.Now()
	timer := time.NewTimer(0)
	var batch []*loadCall
	for {
		select {
		case <-quit:
			return
		case <-timer.C:
		}
		s.mu.Lock()
		batch = batch[:0]
		for c := range s.calls {
			batch = append(batch, c)
		}
		s.mu.Unlock()
		for _, c := range batch {
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: c.seq, Timestamp: c.ts, SSRC: 42}}
			if c.digit == 0 {
				select {
				case c.digit = <-c.digits:
					c.digitStep, c.digitTS = 0, c.ts
				default:
				}
			}
			if c.digit != 0 {
				pkt.PayloadType = 101
				pkt.Timestamp = c.digitTS
				pkt.Marker = c.digitStep == 0
				pkt.Payload = callcenter.EncodeTelephoneEvent(c.digit, c.digitStep >= 3, uint16(160*min(c.digitStep+1, 3)))
				if c.digitStep++; c.digitStep == 6 {
					c.digit = 0
				}
			} else {
				pkt.Payload = toneFrames[c.pos%len(toneFrames)]
				c.pos++
			}
			if n, err := pkt.MarshalTo(buf); err == nil {
				c.conn.WriteToUDPAddrPort(buf[:n], c.remote)
			}
			c.seq++
			c.ts += 160
		}
		next = next.Add(20 * time.Millisecond)
		d := time.Until(next)
		if d < -100*time.Millisecond {
			next = time.Now()
			d = 0
		}
		timer.Reset(max(d, 0))
	}
}
