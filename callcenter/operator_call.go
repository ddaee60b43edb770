package callcenter

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// LiveCall is a call bridged to an operator right now, as the desk shows it.
type LiveCall struct {
	CallID   string
	Caller   string
	Hotline  string
	Agent    string
	Language string
	Topic    string
	Since    time.Time
	Recorded bool
}

func (e *engine) addLive(lc LiveCall) {
	e.mu.Lock()
	e.live[lc.CallID] = lc
	e.mu.Unlock()
}

func (e *engine) removeLive(callID string) {
	e.mu.Lock()
	delete(e.live, callID)
	e.mu.Unlock()
}

// liveCalls lists the calls bridged on this node, longest first.
func (e *engine) liveCalls() []LiveCall {
	e.mu.Lock()
	out := make([]LiveCall, 0, len(e.live))
	for _, lc := range e.live {
		out = append(out, lc)
	}
	e.mu.Unlock()
	slices.SortFunc(out, func(a, b LiveCall) int { return a.Since.Compare(b.Since) })
	return out
}

func (e *engine) isLive(callID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.live[callID]
	return ok
}

// callMixer records both directions of a bridged call into one mono
// track. Each direction arrives on its own RTP goroutine and clock; audio
// is mixed as soon as both sides have it, and a side that falls silent
// (no packets: VAD, loss) counts as silence once the other is mixLag ahead,
// so the track keeps the call's real length. Recording stops at max
// samples; the call goes on.
type callMixer struct {
	rec *recording
	max int

	mu      sync.Mutex
	a, b    []int16 // pending caller and agent audio
	written int
}

const mixLag = 8 * frameSamples // 160 ms

func newCallMixer(rec *recording, limit time.Duration) *callMixer {
	return &callMixer{rec: rec, max: int(limit * sampleRate / time.Second)}
}

func (m *callMixer) fromCaller(pcm []int16) { m.add(&m.a, pcm) }
func (m *callMixer) fromAgent(pcm []int16)  { m.add(&m.b, pcm) }

func (m *callMixer) add(side *[]int16, pcm []int16) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.written >= m.max {
		return
	}
	*side = append(*side, pcm...)
	n := min(len(m.a), len(m.b))
	if lead := max(len(m.a), len(m.b)) - mixLag; lead > n {
		n = lead
	}
	m.flushLocked(n)
}

// flushLocked mixes and writes the first n samples (missing ones are silence).
func (m *callMixer) flushLocked(n int) {
	n = min(n, m.max-m.written)
	if n <= 0 {
		return
	}
	out := make([]int16, n)
	for i := range out {
		var s int32
		if i < len(m.a) {
			s += int32(m.a[i])
		}
		if i < len(m.b) {
			s += int32(m.b[i])
		}
		out[i] = int16(max(-32768, min(32767, s)))
	}
	m.a = m.a[min(n, len(m.a)):]
	m.b = m.b[min(n, len(m.b)):]
	m.written += n
	m.rec.write(out)
}

// finish writes what is pending and puts the recording in the store.
func (m *callMixer) finish(ctx context.Context) error {
	m.mu.Lock()
	m.flushLocked(max(len(m.a), len(m.b)))
	m.mu.Unlock()
	return m.rec.finish(ctx)
}

// startCallRecording begins recording the bridged call if the caller
// agreed; nil means no recording.
func (c *call) startCallRecording() *callMixer {
	e := c.e
	if c.consent == "" {
		return nil
	}
	rec, err := startRecording(e.cfg, c.callID, e.now())
	if err != nil {
		e.log.Error("hotline: cannot record the operator call", "call", c.callID, "err", err)
		return nil
	}
	c.path("record_call")
	if e.onRecording != nil {
		e.onRecording(rec)
	}
	return newCallMixer(rec, e.cfg.CallRecordingMax)
}

// operatorTicket turns the ended bridged call into a ticket with what the
// operator wrote on the desk. The recording, if any, is complete on disk
// first (in the blob store). It runs after the caller may be gone, so it
// has its own context.
func (c *call) operatorTicket(agentLogin string, mix *callMixer, bridgedAt time.Time) error {
	e := c.e
	nt := NewTicket{
		CallID:     c.callID,
		Agent:      agentLogin,
		Caller:     c.caller,
		Hotline:    c.hotline,
		Language:   c.lang,
		Topic:      c.topic.Key,
		Category:   c.topic.Category,
		Duration:   e.now().Sub(bridgedAt),
		Consent:    c.consent,
		ConsentAt:  c.consentAt,
		IVRPath:    append([]string(nil), c.cdr.IVRPath...),
		ReceivedAt: e.now(),
		Notify:     c.notify,
		CaseCode:   c.caseCode,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	if mix != nil {
		if err := mix.finish(ctx); err != nil {
			e.log.Error("hotline: finishing the operator call's recording failed; ticket without it", "call", c.callID, "err", err)
		} else {
			nt.RecordingPath = mix.rec.rel
			nt.Duration = mix.rec.duration()
		}
	}
	t, err := e.store.CreateTicket(ctx, nt)
	if t.ID == 0 {
		// The recording stays (the error may hide a commit that happened);
		// if no row names it, retention's sweep deletes it.
		return fmt.Errorf("create operator call ticket: %w", err)
	}
	// The ticket exists; an error now is the on-phone answer not yet given
	// through moderation (it is kept on the ticket as phone_answer).
	e.metrics.tickets.Inc()
	c.cdr.TicketID = &t.ID
	c.path("ticket")
	if err != nil {
		return fmt.Errorf("operator call ticket %d stored, answer not recorded: %w", t.ID, err)
	}
	return nil
}
