package callcenter

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
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

// Staff-line prompts (HOTLINE_STAFF_NUMBERS): embedded only, not recorded.
const (
	promptStaffPin      = "staff_pin"
	promptStaffLanguage = "staff_language"
	promptStaffPrompt   = "staff_prompt"
	promptStaffRecord   = "staff_record"
	promptStaffReview   = "staff_review"
	promptStaffSaved    = "staff_saved"
)

// Prompts holds decoded prompts per language in three layers: the embedded
// defaults, files under dir (HOTLINE_PROMPTS_DIR, read at start-up), then
// the prompts saved in the database (uploads and recordings by phone),
// which every node reloads when PromptsVersion changes. Safe for
// concurrent use.
type Prompts struct {
	dir         string
	defaultLang string
	log         *slog.Logger
	src         promptStore // nil: no database layer

	refresh sync.Mutex // one reload at a time

	mu      sync.RWMutex
	base    map[string]map[string]clip // embedded + dir; replaced whole by Reload
	clips   map[string]map[string]clip // base + database; replaced whole
	version string                     // of the database layer in clips
}

type clip struct {
	samples []int16
	source  string // SourceDefault, SourceDir, SourceUpload, SourcePhone
}

// LoadPrompts loads the embedded prompts, then every valid WAV under dir.
// A file in the wrong format is an error, so a bad file is noticed at
// start-up rather than mid-call. src (may be nil) adds the database layer,
// loaded by the first Refresh.
func LoadPrompts(dir, defaultLang string, log *slog.Logger, src promptStore) (*Prompts, error) {
	p := &Prompts{dir: dir, defaultLang: defaultLang, log: log, src: src}
	return p, p.Reload()
}

// Reload re-reads the embedded prompts and the prompts directory; the
// database layer is kept as it is.
func (p *Prompts) Reload() error {
	base := map[string]map[string]clip{}
	sub, _ := fs.Sub(defaultPromptFS, "prompts")
	if err := loadPromptTree(sub, SourceDefault, base); err != nil {
		return fmt.Errorf("embedded prompts: %w", err)
	}
	if p.dir != "" {
		if _, err := os.Stat(p.dir); err == nil {
			if err := loadPromptTree(os.DirFS(p.dir), SourceDir, base); err != nil {
				return fmt.Errorf("prompts dir %s: %w", p.dir, err)
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	p.mu.Lock()
	p.base = base
	p.clips = base
	p.version = ""
	p.mu.Unlock()
	return nil
}

// Refresh reloads the database layer if it changed since the last look. A
// call starts with it, so a prompt saved on any node is heard by the next
// call; an unreachable database keeps the prompts already loaded.
func (p *Prompts) Refresh(ctx context.Context) error {
	if p.src == nil {
		return nil
	}
	p.refresh.Lock()
	defer p.refresh.Unlock()
	return p.refreshLocked(ctx)
}

// refreshForCall is Refresh for a call starting: if another refresh is
// under way (a burst of calls), the call does not queue behind it and
// plays the prompts loaded, which that refresh is bringing up to date.
func (p *Prompts) refreshForCall(ctx context.Context) error {
	if p.src == nil || !p.refresh.TryLock() {
		return nil
	}
	defer p.refresh.Unlock()
	return p.refreshLocked(ctx)
}

func (p *Prompts) refreshLocked(ctx context.Context) error {
	v, err := p.src.PromptsVersion(ctx)
	if err != nil {
		return err
	}
	p.mu.RLock()
	same := v == p.version
	p.mu.RUnlock()
	if same {
		return nil
	}
	stored, err := p.src.StoredPrompts(ctx)
	if err != nil {
		return err
	}
	p.mu.RLock()
	clips := make(map[string]map[string]clip, len(p.base))
	for lang, m := range p.base {
		clips[lang] = maps.Clone(m)
	}
	p.mu.RUnlock()
	for _, sp := range stored {
		samples, err := DecodeWAV(sp.WAV)
		if err != nil { // stored by SavePrompt after conversion: should not happen
			if p.log != nil {
				p.log.Error("hotline: stored prompt unreadable", "lang", sp.Language, "prompt", sp.Name, "err", err)
			}
			continue
		}
		if clips[sp.Language] == nil {
			clips[sp.Language] = map[string]clip{}
		}
		clips[sp.Language][sp.Name] = clip{samples: samples, source: sp.Source}
	}
	p.mu.Lock()
	p.clips, p.version = clips, v
	p.mu.Unlock()
	return nil
}

func loadPromptTree(fsys fs.FS, source string, into map[string]map[string]clip) error {
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
			into[lang] = map[string]clip{}
		}
		into[lang][strings.TrimSuffix(file, ".wav")] = clip{samples: samples, source: source}
		return nil
	})
}

// Get returns the prompt in lang, falling back to the default language and
// then to a short silence, so a missing file never breaks a call.
func (p *Prompts) Get(lang, name string) []int16 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if c, ok := p.clips[lang][name]; ok {
		return c.samples
	}
	if c, ok := p.clips[p.defaultLang][name]; ok {
		return c.samples
	}
	if p.log != nil {
		p.log.Warn("hotline prompt missing", "lang", lang, "prompt", name)
	}
	return make([]int16, sampleRate/4)
}

// Source returns where lang's own copy of name comes from, or "" when the
// language has none (callers then hear the default language's).
func (p *Prompts) Source(lang, name string) string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.clips[lang][name].source
}

// Missing lists the prompts (of PromptNames) lang has no copy of.
func (p *Prompts) Missing(lang string) []string {
	var out []string
	for _, name := range PromptNames() {
		if p.Source(lang, name) == "" {
			out = append(out, name)
		}
	}
	return out
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

// ErrNoPromptStore: the hotline runs without a database (tests, sipload).
var ErrNoPromptStore = errors.New("callcenter: prompts cannot be saved without a database")

// Save stores samples (8 kHz mono) as lang's prompt name in the database
// and reloads, so the next call on any node plays it. name must be one of
// PromptNames; an unknown language is the store's NotFound.
func (p *Prompts) Save(ctx context.Context, lang, name string, samples []int16, source string, actor *identity.User) error {
	if p.src == nil {
		return ErrNoPromptStore
	}
	if !validLanguageCode(lang) || !slices.Contains(PromptNames(), name) {
		return apperr.Invalidf("bad_prompt_name", "unknown prompt %q/%q", lang, name)
	}
	err := p.src.SavePrompt(ctx, StoredPrompt{Language: lang, Name: name, WAV: EncodeWAV(samples), Source: source}, actor)
	if err != nil {
		return err
	}
	return p.Refresh(ctx)
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
