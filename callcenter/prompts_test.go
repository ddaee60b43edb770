package callcenter

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/doithoai/doithoai/internal/apperr"
)

func TestDefaultPromptsComplete(t *testing.T) {
	t.Parallel()
	p, err := LoadPrompts("", "vi", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	check := func(lang, name string) {
		p.mu.RLock()
		c, ok := p.clips[lang][name]
		p.mu.RUnlock()
		if !ok {
			t.Errorf("%s/%s.wav missing", lang, name)
			return
		}
		if s := c.samples; len(s) < sampleRate/10 || rms(s) < 300 {
			t.Errorf("%s/%s.wav is too short or silent (%d samples, rms %.0f)", lang, name, len(s), rms(s))
		}
	}
	for _, lang := range []string{"vi", "en"} {
		for _, name := range PromptNames() {
			check(lang, name)
		}
		for _, name := range []string{promptStaffPin, promptStaffLanguage, promptStaffPrompt, promptStaffRecord, promptStaffReview, promptStaffSaved} {
			check(lang, name)
		}
	}
	// Every seeded language can be switched on at once: its menu entry is
	// shipped (spoken in Vietnamese until a province records its own).
	for _, l := range DefaultLanguages() {
		check(l.Code, PromptLanguageMenu)
	}
}

func TestPromptsLayers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	custom := tone(1000, 0.5, 8000)
	if err := os.MkdirAll(filepath.Join(dir, "vi"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "vi", PromptGreeting+".wav"), EncodeWAV(custom), 0o644); err != nil {
		t.Fatal(err)
	}
	store := NewMemoryStore()
	p, err := LoadPrompts(dir, "vi", nil, store)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Get("vi", PromptGreeting); len(got) != len(custom) || p.Source("vi", PromptGreeting) != SourceDir {
		t.Fatalf("dir override not used: %d samples from %q", len(got), p.Source("vi", PromptGreeting))
	}
	// A language with no copy falls back to the default language, never to silence.
	if got := p.Get("hmn", PromptGreeting); len(got) != len(custom) || p.Source("hmn", PromptGreeting) != "" {
		t.Fatalf("fallback: %d samples", len(got))
	}
	if m := p.Missing("hmn"); slices.Contains(m, PromptLanguageMenu) || !slices.Contains(m, PromptGreeting) {
		t.Errorf("hmn missing %v: want greeting missing, language_menu shipped", m)
	}

	// The database layer wins, and a second Prompts on the same store (another
	// node) sees the save at its next Refresh.
	other, err := LoadPrompts("", "vi", nil, store)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := other.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	rec := tone(700, 0.3, 9000)
	if err := p.Save(ctx, "hmn", PromptGreeting, rec, SourcePhone, nil); err != nil {
		t.Fatal(err)
	}
	if got := p.Get("hmn", PromptGreeting); len(got) != len(rec) {
		t.Fatalf("saved prompt not used on this node: %d samples", len(got))
	}
	if got := other.Get("hmn", PromptGreeting); len(got) == len(rec) {
		t.Fatal("other node changed before its Refresh: the test does not test anything")
	}
	if err := other.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := other.Get("hmn", PromptGreeting); len(got) != len(rec) || other.Source("hmn", PromptGreeting) != SourcePhone {
		t.Fatalf("other node after Refresh: %d samples from %q", len(got), other.Source("hmn", PromptGreeting))
	}

	for _, bad := range [][2]string{{"vi", "../x"}, {"../vi", PromptGreeting}, {"vi", "not_a_prompt"}} {
		if err := p.Save(ctx, bad[0], bad[1], rec, SourceUpload, nil); apperr.As(err).Kind != apperr.Invalid {
			t.Errorf("Save(%q, %q): %v, want Invalid", bad[0], bad[1], err)
		}
	}
	if err := p.Save(ctx, "xx", PromptGreeting, rec, SourceUpload, nil); apperr.As(err).Kind != apperr.NotFound {
		t.Errorf("Save to an unknown language: %v, want NotFound", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "vi", "bad.wav"), []byte("RIFFxxxxWAVE"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.Reload(); err == nil {
		t.Fatal("bad WAV in prompts dir accepted")
	}
	noDB, _ := LoadPrompts("", "vi", nil, nil)
	if err := noDB.Save(ctx, "vi", PromptGreeting, rec, SourceUpload, nil); !errors.Is(err, ErrNoPromptStore) {
		t.Errorf("Save without a database: %v", err)
	}
}
