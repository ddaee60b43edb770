package callcenter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/moderation"
)

// Prompts of "ask the leader from a phone".
const (
	PromptLiveOffer  = "live_offer"  // a live dialogue is on: press 9 to ask a question
	PromptLiveNotify = "live_notify" // press 1 to get the answer by SMS too
	PromptLiveRecord = "live_record" // say your question after the tone, # to end
	PromptLiveThanks = "live_thanks" // sent to the dialogue; we will call back; your code is
)

// livePromptNames are added to PromptNames.
var livePromptNames = []string{PromptLiveOffer, PromptLiveNotify, PromptLiveRecord, PromptLiveThanks}

// liveKey is the key that takes the offer. It is outside the default
// topics (1-3); a menu that uses 9 as a topic loses it while a session is
// on the air, for callers who press it during the offer only.
const liveKey = '9'

// liveTopic is the topic of a phone question that became an ordinary
// ticket because the session left the air while the caller spoke.
const liveTopic = "live_dialogue"

// liveDialogue is what the Postgres store offers for live dialogues (the
// memory store of the SIP tests has none, and then nothing is offered).
type liveDialogue interface {
	LiveSessionNow(ctx context.Context) (moderation.LiveSessionNow, bool, error)
	CreateLiveQuestion(ctx context.Context, q NewLiveQuestion) (code string, err error)
}

// NewLiveQuestion is a recorded question for the live session SessionID.
type NewLiveQuestion struct {
	SessionID     int64
	CallID        string
	Caller        string
	Hotline       string
	Language      string
	RecordingPath string // relative to DATA_DIR, complete and fsynced
	Duration      time.Duration
	Consent       string
	ConsentAt     time.Time
	Notify        bool
	IVRPath       []string
}

// errSessionOff is returned by CreateLiveQuestion when the session left the
// air before the question was stored.
var errSessionOff = errors.New("the live dialogue is no longer on the air")

// offerLive runs after the language choice. While a live dialogue is on
// the air it offers it (key 9); a caller who takes it consents, chooses
// whether to get the answer by SMS too, records the question and hears its
// code, and the call ends (true). Any other key, or none, goes on to the
// main menu (false). No session on: nothing is played.
func (c *call) offerLive(ctx context.Context) (bool, error) {
	ld, ok := c.e.store.(liveDialogue)
	if !ok {
		return false, nil
	}
	sess, on, err := ld.LiveSessionNow(ctx)
	if err != nil {
		c.e.log.Error("hotline: is a live dialogue on?", "call", c.callID, "err", err)
		return false, nil // the caller still reaches the rest of the menu
	}
	if !on {
		return false, nil
	}
	c.path("live_offer")
	d, err := c.play(ctx, true, c.prompt(PromptLiveOffer))
	if err == nil && d == 0 {
		d, err = c.waitDigit(ctx, c.e.cfg.DigitTimeout)
	}
	if err != nil {
		return true, err
	}
	if d != liveKey {
		c.path("live_offer:declined")
		c.flushDigits()
		return false, nil
	}
	c.path(fmt.Sprintf("live:%d", sess.ID))
	return true, c.askLive(ctx, ld, sess)
}

// askLive records the caller's question for sess.
func (c *call) askLive(ctx context.Context, ld liveDialogue, sess moderation.LiveSessionNow) error {
	e := c.e
	consent, err := c.askConsent(ctx)
	if err != nil || consent == "" {
		return c.goodbye(ctx, err)
	}
	consentAt := e.now()
	c.path("consent:" + consent)

	c.flushDigits()
	d, err := c.play(ctx, true, c.prompt(PromptLiveNotify))
	if err == nil && d == 0 {
		d, err = c.waitDigit(ctx, e.cfg.DigitTimeout)
	}
	if err != nil {
		return err
	}
	notify := d == '1' && c.caller != ""
	c.path(fmt.Sprintf("live_notify:%t", notify))

	if _, err := c.play(ctx, false, c.prompt(PromptLiveRecord), silence(200), beep); err != nil {
		return err
	}
	c.flushDigits()
	rec, err := c.recordCaller(ctx, "live_record")
	if err != nil || rec == nil {
		return err
	}
	// The caller may be gone already; the question is stored regardless.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()

	q := NewLiveQuestion{SessionID: sess.ID, CallID: c.callID, Caller: c.caller, Hotline: c.hotline, Language: c.lang,
		RecordingPath: rec.rel, Duration: rec.duration(), Consent: consent, ConsentAt: consentAt, Notify: notify,
		IVRPath: append([]string(nil), c.cdr.IVRPath...)}
	code, err := ld.CreateLiveQuestion(sctx, q)
	thanks := PromptLiveThanks
	if errors.Is(err, errSessionOff) {
		// Nothing accepted is lost: the question becomes a ticket.
		c.path("live_off_air")
		t, terr := e.store.CreateTicket(sctx, NewTicket{CallID: c.callID, Caller: c.caller, Hotline: c.hotline,
			Language: c.lang, Topic: liveTopic, RecordingPath: rec.rel, Duration: rec.duration(), Consent: consent,
			ConsentAt: consentAt, IVRPath: q.IVRPath, ReceivedAt: e.now()})
		if terr != nil {
			return fmt.Errorf("callcenter.askLive: ticket: %w", terr)
		}
		c.cdr.TicketID = &t.ID
		code, err, thanks = t.Number, nil, PromptTicketNumber
	}
	if err != nil { // the recording stays; if no row names it, retention's sweep deletes it
		return fmt.Errorf("callcenter.askLive: %w", err)
	}
	e.metrics.tickets.Inc()
	c.cdr.Outcome = OutcomeVoicemail
	c.path("live_question")
	if ctx.Err() != nil {
		return ctx.Err()
	}
	clips := append([][]int16{c.prompt(thanks), silence(200)}, c.readTicketNumber(code)...)
	clips = append(clips, silence(300))
	clips = append(clips, c.readTicketNumber(code)...)
	clips = append(clips, silence(300), c.prompt(PromptGoodbye), silence(200))
	_, err = c.play(ctx, false, clips...)
	return err
}

// isConflict reports whether err is an apperr Conflict (the intake's
// "session not live").
func isConflict(err error) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) && ae.Kind == apperr.Conflict
}
