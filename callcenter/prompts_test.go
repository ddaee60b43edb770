package callcenter

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDefaultPromptsComplete(t *testing.T) {
	p, err := LoadPrompts("", "vi", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"vi", "en"} {
		for _, name := range PromptNames() {
			p.mu.RLock()
			s, ok := p.clips[lang][name]
			p.mu.RUnlock()
			if !ok {
				t.Errorf("%s/%s.wav missing", lang, name)
				continue
			}
			if len(s) < sampleRate/10 || rms(s) < 300 {
				t.Errorf("%s/%s.wav is too short or silent (%d samples, rms %.0f)", lang, name, len(s), rms(s))
			}
		}
	}
}

func TestPromptsOverride(t *testing.T) {
	dir := t.TempDir()
	p, err := LoadPrompts(dir, "vi", nil)
	if err != nil {
		t.Fatal(err)
	}
	custom := tone(1000, 0.5, 8000)
	if err := p.Save("vi", PromptGreeting, EncodeWAV(custom)); err != nil {
		t.Fatal(err)
	}
	if got := p.Get("vi", PromptGreeting); len(got) != len(custom) {
		t.Fatalf("override not used: %d samples", len(got))
	}
	// A language with no files falls back to the default language.
	if got := p.Get("hmn", PromptGreeting); len(got) != len(custom) {
		t.Fatalf("fallback: %d samples", len(got))
	}
	if err := p.Save("vi", "../x", EncodeWAV(custom)); err == nil {
		t.Fatal("path traversal accepted")
	}
	if err := os.WriteFile(filepath.Join(dir, "vi", "bad.wav"), []byte("RIFFxxxxWAVE"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.Reload(); err == nil {
		t.Fatal("bad WAV in prompts dir accepted")
	}
}
