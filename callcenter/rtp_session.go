package callcenter

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

const framePeriod = 20 * time.Millisecond

// audioSource produces the audio a session sends, one 20 ms frame per tick.
// readFrame fills frame (zeros for silence) and returns false once the
// source is exhausted. Called only from the session's send goroutine.
type audioSource interface {
	readFrame(frame []int16) bool
}

// rtpStats are counters read by CDRs and metrics.
type rtpStats struct {
	rxPackets, rxLost, txPackets atomic.Uint64
}

// rtpSession is one RTP stream: a UDP socket, a send goroutine that paces
// one packet every 20 ms from the current audioSource, and a receive
// goroutine that decodes audio for the current sink and detects RFC 4733
// DTMF. The owning call starts it with start and ends it with close.
type rtpSession struct {
	conn   *net.UDPConn
	codec  Codec // what we send; set before start, then read-only
	dtmfPT int   // telephone-event payload type, -1 if not negotiated
	ssrc   uint32

	remote  atomic.Pointer[netip.AddrPort] // where we send; re-INVITE or latching update it
	latched atomic.Bool                    // set by the receive goroutine on the first packet

	source atomic.Pointer[sourceBox]     // written by the call goroutine, read by the sender
	sink   atomic.Pointer[audioSinkFunc] // written by the call goroutine, called by the receiver
	muted  atomic.Bool                   // peer put us on hold: keep pacing but do not send

	onDigit func(byte) // called by the receive goroutine; must not block

	timeout  time.Duration
	lastRecv atomic.Int64 // unix nanos of the last packet from the peer
	dead     chan struct{}
	deadOnce sync.Once

	stats rtpStats
	stop  chan struct{}
	wg    sync.WaitGroup
	close sync.Once
}

// sourceBox lets an atomic.Pointer hold an interface value.
type sourceBox struct{ src audioSource }

type audioSinkFunc func(pcm []int16)

func newRTPSession(conn *net.UDPConn, codec Codec, dtmfPT int, remote netip.AddrPort, timeout time.Duration) *rtpSession {
	s := &rtpSession{
		conn:    conn,
		codec:   codec,
		dtmfPT:  dtmfPT,
		ssrc:    rand.Uint32(),
		timeout: timeout,
		dead:    make(chan struct{}),
		stop:    make(chan struct{}),
	}
	s.remote.Store(&remote)
	s.lastRecv.Store(time.Now().UnixNano())
	return s
}

func (s *rtpSession) localPort() int { return s.conn.LocalAddr().(*net.UDPAddr).Port }

func (s *rtpSession) start() {
	s.wg.Add(2)
	go s.sendLoop()
	go s.recvLoop()
}

// closeSession stops both goroutines and the socket; safe to call twice.
func (s *rtpSession) closeSession() {
	s.close.Do(func() {
		close(s.stop)
		s.conn.Close()
		s.wg.Wait()
	})
}

// Dead is closed when no packet has arrived for the configured timeout.
func (s *rtpSession) Dead() <-chan struct{} { return s.dead }

func (s *rtpSession) setRemote(ap netip.AddrPort) {
	s.remote.Store(&ap)
	s.latched.Store(false)
}

func (s *rtpSession) setSource(src audioSource) {
	if src == nil {
		s.source.Store(nil)
		return
	}
	s.source.Store(&sourceBox{src})
}

func (s *rtpSession) setSink(f audioSinkFunc) {
	if f == nil {
		s.sink.Store(nil)
		return
	}
	s.sink.Store(&f)
}

func (s *rtpSession) sendLoop() {
	defer s.wg.Done()
	pcm := make([]int16, frameSamples)
	payload := make([]byte, 0, frameSamples)
	buf := make([]byte, 12+frameSamples)
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: s.codec.PayloadType, SSRC: s.ssrc,
		SequenceNumber: uint16(rand.Uint32()), Timestamp: rand.Uint32(), Marker: true}}

	// Deadlines are absolute (start + n·20 ms) so scheduling delays do not
	// accumulate into drift; after a long stall we resynchronise instead of
	// bursting the missed packets.
	next := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-timer.C:
		}
		box := s.source.Load()
		if box == nil || !box.src.readFrame(pcm) {
			if box != nil {
				s.source.CompareAndSwap(box, nil)
			}
			clear(pcm)
		}
		if !s.muted.Load() {
			payload = s.codec.Encode(payload[:0], pcm)
			pkt.Payload = payload
			if n, err := pkt.MarshalTo(buf); err == nil {
				if _, err := s.conn.WriteToUDPAddrPort(buf[:n], *s.remote.Load()); err == nil {
					s.stats.txPackets.Add(1)
				}
			}
			pkt.Marker = false
		}
		pkt.SequenceNumber++
		pkt.Timestamp += frameSamples

		next = next.Add(framePeriod)
		wait := time.Until(next)
		if wait < -5*framePeriod {
			skipped := -wait / framePeriod
			pkt.Timestamp += uint32(skipped) * frameSamples
			next = next.Add(skipped * framePeriod)
			wait = time.Until(next)
		}
		timer.Reset(max(wait, 0))
	}
}

func (s *rtpSession) recvLoop() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	pcm := make([]int16, 0, 4*frameSamples)
	var pkt rtp.Packet
	var det dtmfDetector
	var haveSeq, haveTS bool
	var lastSeq uint16
	var nextTS uint32
	deadlineSet := time.Time{}
	for {
		// Moving the read deadline on every packet would cost a timer update
		// per packet; move it at most once a second instead.
		if now := time.Now(); now.Sub(deadlineSet) > time.Second {
			s.conn.SetReadDeadline(time.Unix(0, s.lastRecv.Load()).Add(s.timeout))
			deadlineSet = now
		}
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if time.Since(time.Unix(0, s.lastRecv.Load())) >= s.timeout {
					s.deadOnce.Do(func() { close(s.dead) })
					s.conn.SetReadDeadline(time.Time{})
				} else {
					deadlineSet = time.Time{}
				}
				continue
			}
			select {
			case <-s.stop:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if pkt.Unmarshal(buf[:n]) != nil || pkt.Version != 2 {
			continue
		}
		// Symmetric RTP: send back to where the peer's packets come from,
		// which is what a caller behind NAT needs; after latching, packets
		// from anyone else are dropped.
		if rem := s.remote.Load(); from != *rem {
			if s.latched.Load() {
				continue
			}
			s.remote.Store(&from)
		}
		s.latched.Store(true)
		s.lastRecv.Store(time.Now().UnixNano())
		s.stats.rxPackets.Add(1)
		if haveSeq {
			if gap := pkt.SequenceNumber - lastSeq; gap > 1 && gap < 1000 {
				s.stats.rxLost.Add(uint64(gap - 1))
			} else if gap == 0 || gap >= 0x8000 {
				continue // duplicate or reordered late packet
			}
		}
		haveSeq, lastSeq = true, pkt.SequenceNumber

		if int(pkt.PayloadType) == s.dtmfPT {
			if d, ok := det.packet(pkt.Timestamp, pkt.Payload); ok && s.onDigit != nil {
				s.onDigit(d)
			}
			continue
		}
		var codec Codec
		switch pkt.PayloadType {
		case PCMU.PayloadType:
			codec = PCMU
		case PCMA.PayloadType:
			codec = PCMA
		default:
			continue
		}
		pcm = pcm[:0]
		// Fill lost packets and DTMF pauses with silence from the RTP clock,
		// so a recording is as long as the caller spoke.
		if haveTS {
			if gap := pkt.Timestamp - nextTS; gap > 0 && gap <= sampleRate {
				pcm = append(pcm, make([]int16, gap)...)
			}
		}
		pcm = codec.Decode(pcm, pkt.Payload)
		haveTS, nextTS = true, pkt.Timestamp+uint32(len(pkt.Payload))
		if f := s.sink.Load(); f != nil {
			(*f)(pcm)
		}
	}
}
