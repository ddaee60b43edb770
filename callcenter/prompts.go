package callcenter

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// Prompt names. Each language directory holds one WAV per name; digits are
// digit_0 … digit_9.
const (
	PromptGreeting     = "greeting"
	PromptLanguageMenu = "language_menu"
	PromptTopicMenu    = "topic_menu"
	PromptConsent      = "consent"
	PromptHold         = "hold"
	PromptVoicemail    = "voicemail"
	PromptOutOfHours   = "out_of_hours"
	PromptTicketNumber = "ticket_number"
	PromptGoodbye      = "goodbye"
	PromptInvalid      = "invalid"
)

// Prompts of the caller's case (ivr_notify.go, ivr_status.go).
const (
	PromptNotifyAsk         = "notify_ask"       // press 1 for an SMS when there is news, 2 for none
	PromptStatusHint        = "status_hint"      // after the topic menu: press * to hear a ticket's status
	PromptStatusEnter       = "status_enter"     // type the ticket number, then #
	PromptStatusNotFound    = "status_not_found" // no ticket has that number
	PromptStatusTooMany     = "status_too_many"  // too many look-ups from this number; call later
	PromptStatusReceived    = "status_received"  // received, waiting
	PromptStatusInReview    = "status_in_review" // a moderator is on it
	PromptStatusInfo        = "status_info"      // more information is asked for
	PromptStatusAnswered    = "status_answered"  // there is an answer
	PromptStatusRejected    = "status_rejected"  // not accepted
	PromptStatusDue         = "status_due"       // "the answer is due on day" (digits, then PromptMonth, digits)
	PromptMonth             = "month"            // "month"
	PromptAnswerFollows     = "answer_follows"   // the recorded answer follows
	PromptCallbackPending   = "callback_pending" // an operator will call you back with the answer
	PromptCallbackDone      = "callback_done"    // an operator called you back
	PromptStatusNextActions = "status_next"      // press 1 to leave a message about this case, other keys: menu
)

// PromptNames lists every prompt the IVR may play.
func PromptNames() []string {
	names := []string{PromptGreeting, PromptLanguageMenu, PromptTopicMenu, PromptConsent,
		PromptHold, PromptVoicemail, PromptOutOfHours, PromptTicketNumber, PromptGoodbye, PromptInvalid,
		PromptNotifyAsk, PromptStatusHint, PromptStatusEnter, PromptStatusNotFound, PromptStatusTooMany,
		PromptStatusReceived, PromptStatusInReview, PromptStatusInfo, PromptStatusAnswered, PromptStatusRejected,
		PromptStatusDue, PromptMonth, PromptAnswerFollows, PromptCallbackPending, PromptCallbackDone, PromptStatusNextActions}
	names = append(names, livePromptNames...)
	for d := range 10 {
		names = append(names, digitPrompt(byte('0'+d)))
	}
	return names
}

func digitPrompt(d byte) string { return "digit_" + string(d) }

//go:embed prompts/*/*.wav
var defaultPromptFS embed.FS

// Prompts holds decoded prompts per language. Files under dir (if set)
// override the embedded defaults, so an admin can replace the synthetic voice
// with recordings without a rebuild. Safe for concurrent use.
type Prompts struct {
	dir         string
	defaultLang string
	log         *slog.Logger

	mu    sync.RWMutex
	clips map[string]map[string][]int16 // lang → name → samples; replaced whole by Reload
}

// LoadPrompts loads the embedded prompts, then every valid WAV under dir.
// A file in the wrong format is an error, so a bad upload is noticed at
// start-up rather than mid-call.
func LoadPrompts(dir, defaultLang string, log *slog.Logger) (*Prompts, error) {
	p := &Prompts{dir: dir, defaultLang: defaultLang, log: log}
	return p, p.Reload()
}

// Reload re-reads the prompts directory.
func (p *Prompts) Reload() error {
	clips := map[string]map[string][]int16{}
	sub, _ := fs.Sub(defaultPromptFS, "prompts")
	if err := loadPromptTree(sub, clips); err != nil {
		return fmt.Errorf("embedded prompts: %w", err)
	}
	if p.dir != "" {
		if _, err := os.Stat(p.dir); err == nil {
			if err := loadPromptTree(os.DirFS(p.dir), clips); err != nil {
				return fmt.Errorf("prompts dir %s: %w", p.dir, err)
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	p.mu.Lock()
	p.clips = clips
	p.mu.Unlock()
	return nil
}

func loadPromptTree(fsys fs.FS, into map[string]map[string][]int16) error {
	return fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(name, ".wav") {
			return nil
		}
		lang, file := path.Split(name)
		lang = strings.Trim(lang, "/")
		if lang == "" || strings.Contains(lang, "/") {
			return nil // only <lang>/<name>.wav is meaningful
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		samples, err := DecodeWAV(data)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if into[lang] == nil {
			into[lang] = map[string][]int16{}
		}
		into[lang][strings.TrimSuffix(file, ".wav")] = samples
		return nil
	})
}

// Get returns the prompt in lang, falling back to the default language and
// then to a short silence, so a missing file never breaks a call.
func (p *Prompts) Get(lang, name string) []int16 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if s, ok := p.clips[lang][name]; ok {
		return s
	}
	if s, ok := p.clips[p.defaultLang][name]; ok {
		return s
	}
	if p.log != nil {
		p.log.Warn("hotline prompt missing", "lang", lang, "prompt", name)
	}
	return make([]int16, sampleRate/4)
}

// Languages lists the languages that have at least one prompt.
func (p *Prompts) Languages() []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []string
	for l := range p.clips {
		out = append(out, l)
	}
	return out
}

// Save validates a WAV and stores it as dir/<lang>/<name>.wav, then reloads.
// It is how admins replace a prompt with a recorded voice.
func (p *Prompts) Save(lang, name string, wav []byte) error {
	if p.dir == "" {
		return errors.New("callcenter: no prompts directory configured")
	}
	if !validPromptPart(lang) || !validPromptPart(name) {
		return fmt.Errorf("callcenter: invalid prompt name %q/%q", lang, name)
	}
	if _, err := DecodeWAV(wav); err != nil {
		return err
	}
	dir := filepath.Join(p.dir, lang)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if err := writeFileSync(filepath.Join(dir, name+".wav"), wav); err != nil {
		return err
	}
	return p.Reload()
}

func validPromptPart(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// writeFileSync writes data to a temporary file, fsyncs it and renames it
// into place, so readers never see a half-written file.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
