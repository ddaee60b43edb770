package callcenter

import "context"

// chooseLanguage plays the greeting and the language menu and sets c.lang
// ("" when the caller gave no usable answer and there is no default). The
// menu is built for this call from the active languages that have a
// language_menu clip of their own: each clip says "for <language>, press
// <key>" and they play in key order, so adding a language is configuration
// and recordings, not code. With one language or none the menu is skipped.
// false: the caller gave no usable answer and there is no default.
func (c *call) chooseLanguage(ctx context.Context, menu Menu) (bool, error) {
	e := c.e
	if err := e.prompts.refreshForCall(ctx); err != nil {
		e.log.Warn("hotline: prompts not refreshed; playing the ones loaded", "err", err)
	}
	langs, err := e.store.Languages(ctx)
	if err != nil {
		e.log.Error("hotline: languages unavailable, using the defaults", "err", err)
		langs = DefaultLanguages()
	}
	var offered []Language
	var menuClips [][]int16
	for _, l := range langs {
		if l.Active && e.prompts.Source(l.Code, PromptLanguageMenu) != "" {
			offered = append(offered, l)
			menuClips = append(menuClips, e.prompts.Get(l.Code, PromptLanguageMenu), silence(150))
		}
	}
	if len(offered) <= 1 {
		lang := e.cfg.DefaultLanguage
		if len(offered) == 1 {
			lang = offered[0].Code
		}
		c.lang = lang
		c.path("lang:only:" + lang)
		// No barge-in: a key pressed now is meant for the topic menu.
		_, err := c.play(ctx, false, c.prompt(PromptGreeting), silence(300))
		return err == nil, err
	}
	def := ""
	if _, ok := languageByKey(offered, defaultKey(menu.DefaultLanguage)); ok {
		def = menu.DefaultLanguage
	}
	first := append([][]int16{c.prompt(PromptGreeting), silence(300)}, menuClips...)
	d, err := c.choose(ctx, "lang", first, menuClips,
		func(d byte) bool { _, ok := languageByKey(offered, d); return ok }, def)
	if err != nil || d == 0 {
		return false, err
	}
	l, _ := languageByKey(offered, d)
	c.lang = l.Code
	c.path("lang:" + l.MenuKey + ":" + l.Code)
	return true, nil
}

func defaultKey(s string) byte {
	if len(s) != 1 {
		return 0
	}
	return s[0]
}
