package callcenter

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/web"
)

// The admin pages for languages and prompts work without JavaScript:
// plain forms, a redirect after each save, and a bad input re-renders the
// page with the reason (status 400) and changes nothing.

type languagesPage struct {
	web.Page
	Languages []LanguageStatus
	Flash     string
	Error     string
	Form      languageForm // the add form, refilled after an error
}

type languageForm struct {
	Code, Name, MenuKey string
	Active              bool
}

type promptsPage struct {
	web.Page
	Languages []languagePrompts
	Names     []string // PromptNames, for the upload form
	Fallback  string   // the default language's name: what missing prompts play
	Flash     string
	Error     string
}

type languagePrompts struct {
	LanguageStatus
	Rows []promptRow
}

type promptRow struct {
	Name   string
	Source string // "" when missing
	URL    string // what callers in this language hear
}

// handleAdminLanguages serves GET /admin/hotline/languages (admin).
func (c *Center) handleAdminLanguages(w http.ResponseWriter, r *http.Request) error {
	p := languagesPage{Page: web.NewPage(r, "hotline.admin.languages_title")}
	if code := r.URL.Query().Get("saved"); code != "" {
		p.Flash = p.Tr("hotline.admin.language_saved", code)
	}
	return c.renderLanguages(w, r, http.StatusOK, p)
}

func (c *Center) renderLanguages(w http.ResponseWriter, r *http.Request, status int, p languagesPage) error {
	var err error
	if p.Languages, err = c.languageStatuses(r.Context()); err != nil {
		return err
	}
	return c.render.Render(w, r, status, "admin_languages", p)
}

// handleAdminLanguageSave serves POST /admin/hotline/languages {code, name,
// menu_key, active}: the add form and each row's edit form.
func (c *Center) handleAdminLanguageSave(w http.ResponseWriter, r *http.Request) error {
	f := languageForm{
		Code:    strings.TrimSpace(r.PostFormValue("code")),
		Name:    r.PostFormValue("name"),
		MenuKey: r.PostFormValue("menu_key"),
		Active:  r.PostFormValue("active") != "",
	}
	_, err := c.putLanguage(r, f.Code, LanguageUpdate{Name: f.Name, MenuKey: f.MenuKey, Active: f.Active})
	if ae := apperr.As(err); err != nil && (ae.Kind == apperr.Invalid || ae.Kind == apperr.Conflict) {
		p := languagesPage{Page: web.NewPage(r, "hotline.admin.languages_title"), Form: f}
		p.Error = formError(p.Page, ae)
		return c.renderLanguages(w, r, web.Status(ae.Kind), p)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/hotline/languages?saved="+url.QueryEscape(f.Code), http.StatusSeeOther)
	return nil
}

// handleAdminPrompts serves GET /admin/hotline/prompts (admin): every
// prompt of every language with a player, the missing ones marked.
func (c *Center) handleAdminPrompts(w http.ResponseWriter, r *http.Request) error {
	p := promptsPage{Page: web.NewPage(r, "hotline.admin.prompts_title")}
	if s := r.URL.Query().Get("saved"); s != "" {
		p.Flash = p.Tr("hotline.admin.prompt_saved", s)
	}
	return c.renderPrompts(w, r, http.StatusOK, p)
}

func (c *Center) renderPrompts(w http.ResponseWriter, r *http.Request, status int, p promptsPage) error {
	ls, err := c.languageStatuses(r.Context())
	if err != nil {
		return err
	}
	p.Names = PromptNames()
	p.Fallback = c.cfg.DefaultLanguage
	for _, l := range ls {
		if l.Code == c.cfg.DefaultLanguage {
			p.Fallback = l.Name
		}
		lp := languagePrompts{LanguageStatus: l}
		for _, name := range PromptNames() {
			lp.Rows = append(lp.Rows, promptRow{Name: name, Source: c.engine.prompts.Source(l.Code, name),
				URL: "/api/v1/hotline/prompts/" + l.Code + "/" + name})
		}
		p.Languages = append(p.Languages, lp)
	}
	return c.render.Render(w, r, status, "admin_prompts", p)
}

// handleAdminPromptUpload serves POST /admin/hotline/prompts (multipart:
// lang, name, wav): the upload form.
func (c *Center) handleAdminPromptUpload(w http.ResponseWriter, r *http.Request) error {
	lang, name := r.PostFormValue("lang"), r.PostFormValue("name")
	err := c.uploadFromForm(r, lang, name)
	if ae := apperr.As(err); err != nil && (ae.Kind == apperr.Invalid || ae.Kind == apperr.NotFound) {
		p := promptsPage{Page: web.NewPage(r, "hotline.admin.prompts_title")}
		p.Error = formError(p.Page, ae)
		return c.renderPrompts(w, r, web.Status(ae.Kind), p)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/hotline/prompts?saved="+url.QueryEscape(lang+"/"+name)+"#lang-"+url.PathEscape(lang), http.StatusSeeOther)
	return nil
}

func (c *Center) uploadFromForm(r *http.Request, lang, name string) error {
	f, _, err := r.FormFile("wav")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return apperr.Invalidf("no_file", "choose a WAV file to upload")
	}
	if err != nil {
		return apperr.Invalidf("body_too_large", "a prompt file is at most %d MiB", MaxPromptBytes>>20)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxPromptBytes+1))
	if err != nil {
		return err
	}
	if len(data) > MaxPromptBytes {
		return apperr.Invalidf("body_too_large", "a prompt file is at most %d MiB", MaxPromptBytes>>20)
	}
	return c.savePrompt(r, lang, name, data)
}

// formError is the message shown above a form: the translation of the
// error's code, with the technical reason for a refused WAV (which format
// it was) so the admin knows what to export instead.
func formError(p web.Page, e *apperr.Error) string {
	key := "hotline.admin.err." + e.Code
	msg := p.Tr(key)
	if msg == key {
		return e.Message
	}
	if e.Code == "bad_wav" {
		msg += " (" + strings.TrimPrefix(e.Message, ErrWAVFormat.Error()+": ") + ")"
	}
	return msg
}
