package callcenter

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5"
)

// LanguageStatus is a language as the admin sees it: whether callers are
// offered it now and which prompts it lacks (those play in Vietnamese).
type LanguageStatus struct {
	Language
	Offered bool     `json:"offered"` // active and has its own language_menu clip
	Missing []string `json:"missing"` // PromptNames it has no copy of
}

// languageStatuses lists every language with its prompts' state, after
// picking up prompts saved on other nodes.
func (c *Center) languageStatuses(ctx context.Context) ([]LanguageStatus, error) {
	if err := c.engine.prompts.Refresh(ctx); err != nil {
		return nil, err
	}
	langs, err := c.store.Languages(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]LanguageStatus, 0, len(langs))
	for _, l := range langs {
		missing := c.engine.prompts.Missing(l.Code)
		out = append(out, LanguageStatus{Language: l, Missing: missing,
			Offered: l.Active && !slices.Contains(missing, PromptLanguageMenu)})
	}
	return out, nil
}

// handleLanguageIndex serves GET /api/v1/hotline/languages (admin).
func (c *Center) handleLanguageIndex(w http.ResponseWriter, r *http.Request) error {
	ls, err := c.languageStatuses(r.Context())
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, map[string]any{"languages": ls, "prompts": PromptNames(), "fallback": c.cfg.DefaultLanguage})
	return nil
}

// handleLanguagePut serves PUT /api/v1/hotline/languages/{code} (admin)
// {name, menu_key, active}: adds or changes one; the next call's menu
// uses it.
func (c *Center) handleLanguagePut(w http.ResponseWriter, r *http.Request) error {
	var u LanguageUpdate
	if err := web.DecodeJSON(w, r, &u); err != nil {
		return err
	}
	l, err := c.putLanguage(r, chi.URLParam(r, "code"), u)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, l)
	return nil
}

func (c *Center) putLanguage(r *http.Request, code string, u LanguageUpdate) (Language, error) {
	l, err := c.store.PutLanguage(r.Context(), code, u, actor(r)) // audited in its transaction
	if err == nil {
		c.log.Info("hotline language saved", "admin", actor(r).Login, "code", l.Code, "name", l.Name, "menu_key", l.MenuKey, "active", l.Active)
	}
	return l, err
}

// handlePromptUpdate serves PUT /api/v1/hotline/prompts/{code}/{name}
// (admin) with a WAV body in any common format, converted to 8 kHz mono.
func (c *Center) handlePromptUpdate(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPromptBytes))
	if err != nil {
		return apperr.Invalidf("body_too_large", "a prompt file is at most %d MiB", MaxPromptBytes>>20)
	}
	if err := c.savePrompt(r, chi.URLParam(r, "code"), chi.URLParam(r, "name"), body); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// savePrompt converts an uploaded WAV and saves it; bad audio is Invalid
// with the converter's reason, and nothing is stored.
func (c *Center) savePrompt(r *http.Request, code, name string, wav []byte) error {
	if !slices.Contains(PromptNames(), name) {
		return apperr.Invalidf("bad_prompt_name", "%q is not a hotline prompt", name)
	}
	samples, err := ConvertWAV(wav)
	if errors.Is(err, ErrWAVFormat) {
		return apperr.Invalidf("bad_wav", "%v", err)
	}
	if err != nil {
		return err
	}
	if err := c.engine.prompts.Save(r.Context(), code, name, samples, SourceUpload, actor(r)); err != nil {
		return err
	}
	c.log.Info("hotline prompt uploaded", "admin", actor(r).Login, "lang", code, "prompt", name, "seconds", float64(len(samples))/sampleRate)
	return nil
}

// handlePromptAudio serves GET /api/v1/hotline/prompts/{code}/{name}
// (admin): what a caller in that language hears, as audio/wav (the
// Vietnamese copy when the language has none; X-Prompt-Source says which).
func (c *Center) handlePromptAudio(w http.ResponseWriter, r *http.Request) error {
	code, name := chi.URLParam(r, "code"), chi.URLParam(r, "name")
	if !slices.Contains(PromptNames(), name) || !validLanguageCode(code) {
		return apperr.NotFoundf("no such prompt")
	}
	if err := c.engine.prompts.Refresh(r.Context()); err != nil {
		return err
	}
	src := c.engine.prompts.Source(code, name)
	if src == "" {
		src = "fallback:" + c.cfg.DefaultLanguage
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Prompt-Source", src)
	_, err := w.Write(EncodeWAV(c.engine.prompts.Get(code, name)))
	return err
}
