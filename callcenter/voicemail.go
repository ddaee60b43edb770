package callcenter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/doithoai/doithoai/moderation"
)

// recordCaller records what the caller says after the beep until #, the
// length limit or hang-up, and returns it complete in the blob store (the
// caller may be gone by then: what they said is kept). A recording shorter
// than HOTLINE_VOICEMAIL_MIN is dropped with a goodbye: nil, and the
// goodbye's error. step names the call record's steps ("record" →
// "record_end:#").
func (c *call) recordCaller(ctx context.Context, step string) (*recording, error) {
	e := c.e
	c.path(step)
	rec, err := startRecording(e.cfg, c.callID, e.now())
	if err != nil {
		return nil, fmt.Errorf("start recording: %w", err)
	}
	c.rtp.setSink(rec.write)
	if e.onRecording != nil {
		e.onRecording(rec)
	}
	endedBy := c.recordUntilDone(ctx)
	c.rtp.setSink(nil)
	c.path(step + "_end:" + endedBy)
	if rec.duration() < e.cfg.VoicemailMin {
		rec.discard()
		c.path("record_too_short")
		return nil, c.goodbye(ctx, ctx.Err())
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := rec.finish(sctx); err != nil { // in the blob store before any row names it
		return nil, fmt.Errorf("finish recording: %w", err)
	}
	return rec, nil
}

// voicemail asks for consent, records the caller's question and turns it
// into a ticket whose number is read back. A recording that is cut short by
// hang-up, RTP loss or shutdown still becomes a ticket once it is stored.
func (c *call) voicemail(ctx context.Context, topic TopicOption, open bool) error {
	e := c.e
	consent, consentAt := c.consent, c.consentAt // given before the agent queue
	if consent == "" {
		var err error
		if consent, err = c.askConsent(ctx); err != nil || consent == "" {
			return c.goodbye(ctx, err)
		}
		consentAt = e.now()
		c.path("consent:" + consent)
	}
	if err := c.askNotify(ctx); err != nil {
		return err
	}

	if _, err := c.play(ctx, false, c.prompt(PromptVoicemail), silence(200), beep); err != nil {
		return err
	}
	c.flushDigits()
	rec, err := c.recordCaller(ctx, "record")
	if err != nil || rec == nil {
		return err
	}
	// The caller may be gone already; the ticket is made regardless.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()

	nt := NewTicket{
		CallID:        c.callID,
		Caller:        c.caller,
		Hotline:       c.hotline,
		Language:      c.lang,
		Topic:         topic.Key,
		Category:      topic.Category,
		RecordingPath: rec.rel,
		Duration:      rec.duration(),
		Consent:       consent,
		ConsentAt:     consentAt,
		IVRPath:       append([]string(nil), c.cdr.IVRPath...),
		ReceivedAt:    e.now(),
		OutOfHours:    !open,
		Notify:        c.notify,
		CaseCode:      c.caseCode,
	}
	if !open {
		due := e.hours.get().NextOpening(e.now())
		nt.CallbackDue = &due
	}
	t, err := e.store.CreateTicket(sctx, nt)
	if err != nil {
		// The recording stays: the error may hide a commit that happened.
		// One no row names is deleted by the retention run's sweep.
		return fmt.Errorf("create ticket: %w", err)
	}
	e.metrics.tickets.Inc()
	c.cdr.Outcome = OutcomeVoicemail
	c.cdr.TicketID = &t.ID
	c.path("ticket")
	if ctx.Err() != nil {
		return ctx.Err()
	}
	clips := append([][]int16{c.prompt(PromptTicketNumber), silence(200)}, c.readTicketNumber(t.Number)...)
	clips = append(clips, silence(300))
	clips = append(clips, c.readTicketNumber(t.Number)...) // twice: it is being written down
	clips = append(clips, silence(300), c.prompt(PromptGoodbye), silence(200))
	_, err = c.play(ctx, false, clips...)
	return err
}

// readTicketNumber spells a ticket number in the groups it is written in
// (1234 5678 9018), with a pause between groups so that a caller writing
// it down keeps their place.
func (c *call) readTicketNumber(n string) [][]int16 {
	var clips [][]int16
	for i, g := range moderation.CodeGroups(n) {
		if i > 0 {
			clips = append(clips, silence(350))
		}
		clips = append(clips, c.readNumber(g)...)
	}
	return clips
}

// askConsent plays the consent prompt; a key press (or silence, if
// configured) is consent. Keys typed before the prompt do not count.
func (c *call) askConsent(ctx context.Context) (string, error) {
	c.flushDigits()
	c.path("consent_ask") // after the flush: a key pressed from here on counts
	for try := 0; try < 2; try++ {
		d, err := c.play(ctx, true, c.prompt(PromptConsent))
		if err == nil && d == 0 {
			d, err = c.waitDigit(ctx, c.e.cfg.DigitTimeout)
		}
		if err != nil {
			return "", err
		}
		if d != 0 {
			return "dtmf:" + string(d), nil
		}
		if c.e.cfg.ConsentOnSilence {
			return "silence", nil
		}
	}
	c.path("consent:none")
	return "", nil
}

// recordUntilDone waits for '#', the length limit or the end of the call.
func (c *call) recordUntilDone(ctx context.Context) string {
	t := time.NewTimer(c.e.cfg.VoicemailMax)
	defer t.Stop()
	for {
		select {
		case d := <-c.digits:
			if d == '#' {
				return "hash"
			}
		case <-t.C:
			return "max_length"
		case <-ctx.Done():
			switch cause := context.Cause(ctx); {
			case errors.Is(cause, errCallerHangup):
				return "hangup"
			case errors.Is(cause, errRTPTimeout):
				return "rtp_timeout"
			case errors.Is(cause, errNoRTP):
				return "no_rtp"
			default:
				return "shutdown"
			}
		}
	}
}

// recording is a voicemail being written: spooled to a file under
// DATA_DIR while the call lasts, then put in the blob store under rel.
// write runs on the RTP receive goroutine, finish on the call goroutine;
// mu orders them.
type recording struct {
	rel string // the blob key, which the ticket row names
	tmp string // the spool file
	cfg Config // blobs and DATA_DIR
	log *slog.Logger

	mu      sync.Mutex
	w       *wavFileWriter
	samples int
	err     error
}

func startRecording(cfg Config, callID string, now time.Time) (*recording, error) {
	rel := filepath.Join("recordings", "hotline", now.Format("2006"), now.Format("01"), now.Format("02"),
		now.Format("150405")+"-"+safeName(callID)+"-"+strconv.FormatUint(rand.Uint64N(1<<32), 36)+".wav")
	path := filepath.Join(cfg.DataDir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	r := &recording{rel: filepath.ToSlash(rel), tmp: path + ".part", cfg: cfg, log: slog.Default()}
	w, err := createWAVFile(r.tmp)
	if err != nil {
		return nil, err
	}
	r.w = w
	return r, nil
}

func (r *recording) write(pcm []int16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w == nil || r.err != nil {
		return
	}
	r.err = r.w.Write(pcm)
	r.samples += len(pcm)
}

func (r *recording) duration() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Duration(r.samples) * time.Second / sampleRate
}

// close ends the spool file: the WAV header completed, the file fsynced.
func (r *recording) close() error {
	r.mu.Lock()
	w := r.w
	r.w = nil
	err := r.err
	r.mu.Unlock()
	if w == nil {
		return nil // closed already (discard after a failed finish)
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// finish completes the spool file and puts it in the blob store; when it
// returns nil the recording is durable where every node reads it, and
// only then may a ticket name it. The spool file goes once it is stored.
// Should the store fail, nothing the caller said is lost: the file is kept
// on this node's disk at its key's path, played from here, and moved into
// the store by ImportRecordings at the node's next start.
func (r *recording) finish(ctx context.Context) error {
	if err := r.close(); err != nil {
		os.Remove(r.tmp)
		return err
	}
	f, err := os.Open(r.tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := r.cfg.blobs.Put(ctx, r.rel, f, st.Size()); err != nil {
		final := strings.TrimSuffix(r.tmp, ".part")
		if rerr := os.Rename(r.tmp, final); rerr != nil {
			return errors.Join(err, rerr)
		}
		if serr := syncDir(filepath.Dir(final)); serr != nil {
			return errors.Join(err, serr)
		}
		r.log.Error("hotline: the blob store failed; recording kept on this node until its next start moves it", "key", r.rel, "err", err)
		return nil
	}
	return os.Remove(r.tmp)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// discard drops a recording that will not be kept (too short).
func (r *recording) discard() {
	_ = r.close()
	os.Remove(r.tmp)
}

func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, s)
	if len(s) > 48 {
		s = s[:48]
	}
	return s
}
