package callcenter

import (
	"context"
	"crypto/subtle"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/doithoai/doithoai/internal/identity"
	"github.com/emiago/sipgo/sip"
)

// The staff line (HOTLINE_STAFF_NUMBERS, 1023 by default) lets a province
// record its own prompts from any phone: choose a language by its menu
// key, type a prompt's number (its row on /admin/hotline/prompts) and #,
// speak, # ends; the recording is played back, 1 saves it for every node
// and the next call, 2 records again.
//
// Who may call: a SIP agent (moderator or admin with a SIP secret) whose
// INVITE passes the same digest check as REGISTER, the From user being
// the login; or, when HOTLINE_STAFF_PIN is set, anyone who types the PIN
// (an INVITE without credentials is then answered and asked for it, so a
// mobile phone coming through a trunk can use the line too).

// staffCaller is who reached the staff line.
type staffCaller struct {
	login   string // digest-authenticated agent; "" for a PIN caller
	needPIN bool
}

// staffPINTries is how many wrong PINs one call may type.
const staffPINTries = 3

// admitStaff decides a staff-line INVITE before it is answered: a caller
// to go on with, or the response refusing it.
func (e *engine) admitStaff(req *sip.Request, src netip.Addr) (*staffCaller, int, string, []sip.Header) {
	if req.GetHeader("Authorization") == nil && e.cfg.StaffPIN != "" {
		return &staffCaller{needPIN: true}, 0, "", nil
	}
	login, outcome := e.authenticateAs(req, src, e.now(), req.From().Address.User)
	challenge := func(stale bool) []sip.Header {
		return []sip.Header{sip.NewHeader("WWW-Authenticate", e.nonces.challenge(src, e.now(), stale))}
	}
	switch outcome {
	case "":
		return &staffCaller{login: login}, 0, "", nil
	case "challenged":
		return nil, sip.StatusUnauthorized, "Unauthorized", challenge(false)
	case "stale":
		return nil, sip.StatusUnauthorized, "Unauthorized", challenge(true)
	case "error":
		return nil, 500, "Server Internal Error", []sip.Header{retryAfter(10)}
	case "locked_out":
		return nil, sip.StatusForbidden, "Forbidden (too many failures)", nil
	default:
		return nil, sip.StatusForbidden, "Forbidden", nil
	}
}

// runStaff is the staff line's script; it loops over prompts until the
// caller hangs up.
func (c *call) runStaff(ctx context.Context) error {
	e := c.e
	c.lang = e.cfg.DefaultLanguage
	c.path("staff")
	if c.staff.needPIN {
		ok, err := c.staffPIN(ctx)
		if err != nil || !ok {
			return c.goodbye(ctx, err)
		}
	}
	langs, err := e.store.Languages(ctx)
	if err != nil {
		return err
	}
	if err := e.prompts.refreshForCall(ctx); err != nil {
		e.log.Warn("hotline: prompts not refreshed", "err", err)
	}
	lang, ok, err := c.staffLanguage(ctx, langs)
	if err != nil || !ok {
		return c.goodbye(ctx, err)
	}
	for {
		name, ok, err := c.staffPromptName(ctx)
		if err != nil || !ok {
			return c.goodbye(ctx, err)
		}
		saved, err := c.staffRecord(ctx, lang, name)
		if err != nil || !saved {
			return c.goodbye(ctx, err)
		}
	}
}

// staffPIN asks for the PIN; failures count against the caller's address
// (or number, behind a trunk) like wrong SIP passwords do.
func (c *call) staffPIN(ctx context.Context) (bool, error) {
	e := c.e
	key := "pin:" + c.source.String()
	if e.cfg.trustedSource(c.source) {
		key = "pin:" + c.caller
	}
	for try := 0; try < staffPINTries; try++ {
		if e.authFailLimit.exhausted(key, e.now()) || !e.authFailLimit.allow(key, e.now()) {
			c.path("staff:pin_locked")
			return false, nil
		}
		pin, err := c.staffDigits(ctx, c.prompt(promptStaffPin), 12)
		if err != nil {
			return false, err
		}
		if pin != "" && subtle.ConstantTimeCompare([]byte(pin), []byte(e.cfg.StaffPIN)) == 1 {
			e.authFailLimit.refund(key)
			c.path("staff:pin_ok")
			return true, nil
		}
		c.path("staff:pin_bad")
		if _, err := c.play(ctx, false, c.prompt(PromptInvalid)); err != nil {
			return false, err
		}
	}
	return false, nil
}

// staffLanguage picks any configured language (active or not: recordings
// come before switching one on) by its key, and confirms it with the
// language's own menu entry.
func (c *call) staffLanguage(ctx context.Context, langs []Language) (Language, bool, error) {
	clips := [][]int16{c.prompt(promptStaffLanguage)}
	d, err := c.choose(ctx, "staff:lang", clips, clips,
		func(d byte) bool { _, ok := languageByKey(langs, d); return ok }, "")
	if err != nil || d == 0 {
		return Language{}, false, err
	}
	l, _ := languageByKey(langs, d)
	c.path("staff:lang:" + l.Code)
	_, err = c.play(ctx, false, c.e.prompts.Get(l.Code, PromptLanguageMenu), silence(200))
	return l, err == nil, err
}

// staffPromptName reads a prompt's number (1-based in PromptNames) and #,
// then says the number back.
func (c *call) staffPromptName(ctx context.Context) (string, bool, error) {
	names := PromptNames()
	for try := 0; try <= c.e.cfg.MenuRetries+1; try++ {
		s, err := c.staffDigits(ctx, c.prompt(promptStaffPrompt), 2)
		if err != nil {
			return "", false, err
		}
		if n, convErr := strconv.Atoi(s); convErr == nil && n >= 1 && n <= len(names) {
			c.path("staff:prompt:" + names[n-1])
			_, err := c.play(ctx, false, append(c.readNumber(s), silence(200))...)
			return names[n-1], err == nil, err
		}
		c.path("staff:prompt:invalid")
		if _, err := c.play(ctx, false, c.prompt(PromptInvalid)); err != nil {
			return "", false, err
		}
	}
	return "", false, nil
}

// staffRecord records lang's prompt name until #, plays it back and saves
// it on 1 (true), records again on 2. No answer to the review: nothing is
// saved (false).
func (c *call) staffRecord(ctx context.Context, lang Language, name string) (bool, error) {
	e := c.e
	for attempt := 0; attempt < 5; attempt++ {
		if _, err := c.play(ctx, false, c.prompt(promptStaffRecord), silence(200), beep); err != nil {
			return false, err
		}
		c.flushDigits()
		c.path("staff:record")
		rec := &promptRecording{max: int(MaxPromptDuration.Seconds()) * sampleRate}
		c.rtp.setSink(rec.write)
		endedBy := c.recordUntilDone(ctx)
		c.rtp.setSink(nil)
		c.path("staff:record_end:" + endedBy)
		if ctx.Err() != nil {
			return false, ctx.Err() // hung up while speaking: nothing is saved
		}
		samples := rec.take()
		if len(samples) < minPromptSamples {
			c.path("staff:record_too_short")
			if _, err := c.play(ctx, false, c.prompt(PromptInvalid)); err != nil {
				return false, err
			}
			continue
		}
		choice, err := c.staffReview(ctx, samples)
		if err != nil || choice == 0 {
			return false, err
		}
		if choice == '2' {
			c.path("staff:rerecord")
			continue
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = e.prompts.Save(sctx, lang.Code, name, samples, SourcePhone, &identity.User{ID: c.staffUserID(sctx), Login: c.staffName()})
		cancel()
		if err != nil {
			return false, err
		}
		e.log.Info("hotline prompt recorded by phone", "staff", c.staffName(), "lang", lang.Code, "prompt", name, "seconds", float64(len(samples))/sampleRate)
		c.path("staff:saved:" + lang.Code + ":" + name)
		_, err = c.play(ctx, false, c.prompt(promptStaffSaved), silence(300))
		return err == nil, err
	}
	return false, nil
}

// staffReview plays the recording back and asks 1 (save) or 2 (again);
// 0 after the retries.
func (c *call) staffReview(ctx context.Context, samples []int16) (byte, error) {
	clips := [][]int16{samples, silence(300), c.prompt(promptStaffReview)}
	return c.choose(ctx, "staff:review", clips, clips[2:], func(d byte) bool { return d == '1' || d == '2' }, "")
}

// staffDigits plays prompt and collects up to max keys ended by #; the
// keys may start over the prompt or before it (type-ahead, as staff who
// know the line do). "" on no answer.
func (c *call) staffDigits(ctx context.Context, prompt []int16, max int) (string, error) {
	d, err := c.play(ctx, true, prompt)
	if err != nil {
		return "", err
	}
	var got []byte
	for {
		if d == 0 {
			if d, err = c.waitDigit(ctx, 2*c.e.cfg.DigitTimeout); err != nil || d == 0 {
				return "", err
			}
		}
		if d == '#' {
			return string(got), nil
		}
		if len(got) == max {
			return "", nil // too long: as if nothing was typed
		}
		got = append(got, d)
		d = 0
	}
}

// staffUserID is the digest-authenticated agent's user id when the store
// can tell it (PostgreSQL), else 0 (PIN callers, MemoryStore).
func (c *call) staffUserID(ctx context.Context) int64 {
	users, ok := c.e.store.(interface {
		UserIDByLogin(context.Context, string) (int64, error)
	})
	if !ok || c.staff.login == "" {
		return 0
	}
	id, err := users.UserIDByLogin(ctx, c.staff.login)
	if err != nil {
		c.e.log.Warn("hotline: staff user not found", "login", c.staff.login, "err", err)
	}
	return id
}

func (c *call) staffName() string {
	if c.staff.login != "" {
		return c.staff.login
	}
	return "pin:" + c.caller
}

// promptRecording collects a spoken prompt in memory (at most max
// samples). write runs on the RTP receive goroutine, take on the call's.
type promptRecording struct {
	mu      sync.Mutex
	samples []int16
	max     int
}

func (r *promptRecording) write(pcm []int16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := r.max - len(r.samples); n > 0 {
		r.samples = append(r.samples, pcm[:min(n, len(pcm))]...)
	}
}

func (r *promptRecording) take() []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.samples
	r.samples = nil
	return out
}
