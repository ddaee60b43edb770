package main

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/doithoai/doithoai/cmd/internal/percentile"
	"github.com/pion/rtp"
)

// runHold keeps calls up for -hold each, with DTMF that walks the IVR into
// voicemail so the server plays prompts and then records.
func (g *generator) runHold(ctx context.Context) error {
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / g.o.rate)
	start := time.Now()
	go g.progress(ctx, start)
	for i := 0; i < g.o.calls && ctx.Err() == nil; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			dlg, lc, err := g.dial(ctx)
			if err != nil {
				g.failed.Add(1)
				if dlg != nil {
					g.bye(dlg)
				}
				return
			}
			g.established.Add(1)
			n := g.active.Add(1)
			for {
				m := g.maxActive.Load()
				if n <= m || g.maxActive.CompareAndSwap(m, n) {
					break
				}
			}
			defer g.active.Add(-1)
			sh := g.shards[i%len(g.shards)]
			sh.add(lc)
			recvDone := make(chan struct{})
			go func() { g.receive(lc); close(recvDone) }()
			// 1: Vietnamese, 3: topic "other" (no agents: voicemail),
			// then a key every 2 s, which is the consent when it is asked.
			timer := time.NewTimer(g.o.hold)
			keys := time.NewTicker(2 * time.Second)
			lc.digits <- '1'
			time.AfterFunc(400*time.Millisecond, func() { lc.digits <- '3' })
		loop:
			for {
				select {
				case <-keys.C:
					select {
					case lc.digits <- '1':
					default:
					}
				case <-timer.C:
					break loop
				case <-dlg.Context().Done():
					break loop
				case <-ctx.Done():
					break loop
				}
			}
			keys.Stop()
			sh.remove(lc)
			g.bye(dlg)
			lc.conn.Close()
			<-recvDone
		}(i)
		time.Sleep(interval)
	}
	wg.Wait()
	g.report(time.Since(start))
	return nil
}

func (g *generator) progress(ctx context.Context, start time.Time) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p50, p99, max := g.jitter.percentiles()
			fmt.Printf("  t=%3.0fs active=%d established=%d failed=%d rx=%d lost=%d jitter p50=%.2fms p99=%.2fms max=%.2fms\n",
				time.Since(start).Seconds(), g.active.Load(), g.established.Load(), g.failed.Load(),
				g.rxPackets.Load(), g.rxLost.Load(), p50, p99, max)
			if g.established.Load()+g.failed.Load() >= int64(g.o.calls) && g.active.Load() == 0 {
				return
			}
		}
	}
}

// receive measures the server's stream: arrival interval deviation from
// 20 ms and sequence gaps.
func (g *generator) receive(lc *loadCall) {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	var last time.Time
	var lastSeq uint16
	first := true
	for {
		n, err := lc.conn.Read(buf)
		if err != nil {
			return
		}
		now := time.Now()
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		g.rxPackets.Add(1)
		if !first {
			switch gap := pkt.SequenceNumber - lastSeq; {
			case gap == 1:
				g.jitter.add(now.Sub(last) - 20*time.Millisecond)
			case gap > 1 && gap < 0x8000:
				g.rxLost.Add(uint64(gap - 1))
			default:
				g.rxReordered.Add(1)
				continue
			}
		}
		first, last, lastSeq = false, now, pkt.SequenceNumber
	}
}

// runSetup measures call set-ups per second: INVITE, 200, ACK, BYE, with
// -concurrency calls in flight.
func (g *generator) runSetup(ctx context.Context) error {
	sem := make(chan struct{}, g.o.concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < g.o.calls && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			dlg, lc, err := g.dial(ctx)
			if err != nil {
				g.failed.Add(1)
				if dlg != nil {
					g.bye(dlg)
				}
				return
			}
			g.established.Add(1)
			g.bye(dlg)
			lc.conn.Close()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	g.setupM.Lock()
	lat := slices.Clone(g.setup)
	g.setupM.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Printf("RESULT setup: %d calls set up and torn down in %.2fs = %.1f set-ups/s (concurrency %d); failed %d; INVITE→200 p50 %v p99 %v\n",
		g.established.Load(), el.Seconds(), float64(g.established.Load())/el.Seconds(), g.o.concurrency, g.failed.Load(),
		percentile.Sorted(lat, 50).Round(100*time.Microsecond), percentile.Sorted(lat, 99).Round(100*time.Microsecond))
	return nil
}

func (g *generator) report(el time.Duration) {
	p50, p99, max := g.jitter.percentiles()
	fmt.Printf("RESULT hold: %d calls established (%d failed), max %d concurrent, held %v each, run %.0fs\n",
		g.established.Load(), g.failed.Load(), g.maxActive.Load(), g.o.hold, el.Seconds())
	fmt.Printf("RESULT server RTP as received: %d packets, lost %d, reordered %d; send-interval jitter p50 %.2fms p99 %.2fms max %.2fms\n",
		g.rxPackets.Load(), g.rxLost.Load(), g.rxReordered.Load(), p50, p99, max)
}
