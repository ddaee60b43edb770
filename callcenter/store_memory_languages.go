package callcenter

import (
	"context"
	"strconv"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
)

// memoryLanguages is MemoryStore's copy of hotline_languages and
// hotline_prompts, so the SIP tests and sipload run the same language menu
// and prompt layer as production.
type memoryLanguages struct {
	langs   []Language
	prompts map[[2]string]StoredPrompt // (language, name)
	saves   int                        // version counter
}

func (m *MemoryStore) Languages(ctx context.Context) ([]Language, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.initLanguages()
	out := append([]Language(nil), m.ml.langs...)
	sortLanguages(out)
	return out, nil
}

// PutLanguage adds or changes a language, as Store.PutLanguage does.
func (m *MemoryStore) PutLanguage(ctx context.Context, code string, u LanguageUpdate) (Language, error) {
	l, err := u.validate(code)
	if err != nil {
		return l, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.initLanguages()
	at := -1
	for i, x := range m.ml.langs {
		if x.Code == code {
			at = i
		} else if x.MenuKey == l.MenuKey {
			return l, apperr.Conflictf("menu_key_taken", "key %s belongs to another language; change that one first", l.MenuKey)
		}
	}
	l.UpdatedAt = time.Now()
	if at < 0 {
		m.ml.langs = append(m.ml.langs, l)
	} else {
		m.ml.langs[at] = l
	}
	return l, nil
}

func (m *MemoryStore) PromptsVersion(ctx context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strconv.Itoa(m.ml.saves), nil
}

func (m *MemoryStore) StoredPrompts(ctx context.Context) ([]StoredPrompt, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []StoredPrompt
	for _, p := range m.ml.prompts {
		out = append(out, p)
	}
	return out, nil
}

func (m *MemoryStore) SavePrompt(ctx context.Context, p StoredPrompt, actor *identity.User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.initLanguages()
	if _, ok := findLanguage(m.ml.langs, p.Language); !ok {
		return apperr.NotFoundf("no language %q: add it first", p.Language)
	}
	if m.ml.prompts == nil {
		m.ml.prompts = map[[2]string]StoredPrompt{}
	}
	p.UpdatedAt = time.Now()
	m.ml.prompts[[2]string{p.Language, p.Name}] = p
	m.ml.saves++
	return nil
}

func (m *MemoryStore) initLanguages() {
	if m.ml.langs == nil {
		m.ml.langs = DefaultLanguages()
	}
}

func findLanguage(langs []Language, code string) (Language, bool) {
	for _, l := range langs {
		if l.Code == code {
			return l, true
		}
	}
	return Language{}, false
}
