package callcenter

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/doithoai/doithoai/internal/blob"
	"github.com/doithoai/doithoai/internal/i18n"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/contact"
	"github.com/doithoai/doithoai/moderation"
)

// Status by phone (SPEC §3 SIP): in the main menu, * then a ticket's code
// then # reads the ticket's status, its due date and, once answered, the
// moderator's spoken answer or that an operator will call back. The CDR
// gets status, status:found / status:not_found (status:bad_code before it
// for a mistyped check digit, status:too_many when the budget is spent).
// A caller who heard a status may leave a message about that case; it and
// an operator call reached afterwards continue the case (c.caseCode).

const (
	maxCodeDigits   = 16 // longer than any code: the rest is ignored, the look-up fails
	codeTries       = 2  // a wrong code is retried once, then back to the menu
	maxStatusRounds = 3  // status look-ups per call; then * is no longer an option
)

// statusByPhone runs one status look-up from the main menu. It returns
// the case heard and true when the caller pressed 1 to leave a message
// about it; false sends them back to the main menu.
func (c *call) statusByPhone(ctx context.Context) (CaseStatus, bool, error) {
	c.path("status")
	for try := 0; try < codeTries; try++ {
		code, err := c.readCode(ctx)
		if err != nil {
			return CaseStatus{}, false, err
		}
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		st, err := c.e.store.CaseStatus(sctx, c.lookupKey(), code)
		cancel()
		if err == nil {
			c.path("status:found")
			leave, err := c.speakStatus(ctx, st)
			return st, leave, err
		}
		if ctx.Err() != nil {
			return CaseStatus{}, false, ctx.Err()
		}
		switch apperr.KindOf(err) {
		case apperr.TooMany:
			c.path("status:too_many")
			_, err := c.play(ctx, false, c.prompt(PromptStatusTooMany), silence(300))
			return CaseStatus{}, false, err
		case apperr.Invalid:
			c.path("status:bad_code")
		case apperr.NotFound:
		default:
			c.e.log.Error("hotline: status look-up failed", "call", c.callID, "err", err)
		}
		c.path("status:not_found")
		if _, err := c.play(ctx, false, c.prompt(PromptStatusNotFound), silence(300)); err != nil {
			return CaseStatus{}, false, err
		}
	}
	return CaseStatus{}, false, nil
}

// lookupKey is whose budget a look-up is counted against: the caller's
// number (a trunk brings many callers from one address), or the
// signalling address when there is none.
func (c *call) lookupKey() string {
	if p, err := contact.Phone(c.caller); err == nil {
		return "sip:" + p
	}
	return "sip-addr:" + c.source.String()
}

// readCode plays the "type the number, then #" prompt and collects digits
// until #. Keys typed ahead (over the menu) count; * starts again; no key
// within DigitTimeout ends the code as typed so far.
func (c *call) readCode(ctx context.Context) (string, error) {
	d, err := c.play(ctx, true, c.prompt(PromptStatusEnter))
	if err != nil {
		return "", err
	}
	var code []byte
	for {
		if d == 0 {
			if d, err = c.waitDigit(ctx, c.e.cfg.DigitTimeout); err != nil {
				return "", err
			}
			if d == 0 {
				return string(code), nil
			}
		}
		switch {
		case d == '#':
			return string(code), nil
		case d == '*':
			code = code[:0]
		case len(code) < maxCodeDigits:
			code = append(code, d)
		}
		d = 0
	}
}

// speakStatus reads st to the caller, then offers to leave a message about
// the case (true: the caller pressed 1).
func (c *call) speakStatus(ctx context.Context, st CaseStatus) (bool, error) {
	c.caseCode = st.Code
	clips := [][]int16{c.prompt(statusPrompt(st)), silence(250)}
	switch {
	case st.Answered():
		if audio := c.answerAudio(st.AnswerAudioPath); audio != nil {
			c.path("status:answer_audio")
			clips = append(clips, c.prompt(PromptAnswerFollows), silence(250), audio, silence(400))
		} else if st.Callback == CallbackDone {
			c.path("status:callback_done")
			clips = append(clips, c.prompt(PromptCallbackDone), silence(300))
		} else {
			c.path("status:callback_pending")
			clips = append(clips, c.prompt(PromptCallbackPending), silence(300))
		}
	case st.Status != moderation.StatusRejected && !st.DueAt.IsZero():
		clips = append(clips, c.readDate(st.DueAt)...)
		clips = append(clips, silence(300))
	}
	if _, err := c.play(ctx, false, clips...); err != nil {
		return false, err
	}
	c.flushDigits() // keys pressed while the status was read are no answer to the next question
	c.path("status:read")
	d, err := c.play(ctx, true, c.prompt(PromptStatusNextActions))
	if err == nil && d == 0 {
		d, err = c.waitDigit(ctx, c.e.cfg.DigitTimeout)
	}
	if err != nil {
		return false, err
	}
	if d == '1' {
		c.path("status:leave_message")
		return true, nil
	}
	c.path("status:menu")
	return false, nil
}

// statusPrompt names the sentence for st's status.
func statusPrompt(st CaseStatus) string {
	switch {
	case st.Answered():
		return PromptStatusAnswered
	case st.Status == moderation.StatusRejected:
		return PromptStatusRejected
	case st.Status == moderation.StatusInfoRequested:
		return PromptStatusInfo
	case st.Status == moderation.StatusApproved || st.InReview:
		return PromptStatusInReview
	default:
		return PromptStatusReceived
	}
}

// readDate reads a due date as "due on day D month M", digit by digit,
// in Vietnam's time.
func (c *call) readDate(t time.Time) [][]int16 {
	t = t.In(i18n.Vietnam)
	clips := [][]int16{c.prompt(PromptStatusDue), silence(150)}
	clips = append(clips, c.readNumber(itoa(t.Day()))...)
	clips = append(clips, silence(150), c.prompt(PromptMonth), silence(150))
	return append(clips, c.readNumber(itoa(int(t.Month())))...)
}

// answerAudio loads the moderator's spoken answer; nil when there is none
// or it cannot be read (the caller then hears about the callback instead).
func (c *call) answerAudio(rel string) []int16 {
	if rel == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	samples, err := readAudio(ctx, c.e.cfg, rel)
	if err != nil {
		if !errors.Is(err, blob.ErrNotFound) && !os.IsNotExist(err) {
			c.e.log.Error("hotline: spoken answer unreadable", "call", c.callID, "path", rel, "err", err)
		}
		return nil
	}
	return samples
}

// caseTopic is the menu topic a message about a case is filed under: the
// one of the case's category, else the default topic, else the first.
func (m Menu) caseTopic(category string) TopicOption {
	for _, t := range m.Topics {
		if category != "" && t.Category == category {
			return t
		}
	}
	if m.DefaultTopic != "" {
		if t, ok := m.topic(m.DefaultTopic[0]); ok {
			return t
		}
	}
	return m.Topics[0]
}
