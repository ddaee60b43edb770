package moderation

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/web"
)

// CategoryName is a category's name in Vietnamese and English. The forum
// owns categories; items carry only the slug.
type CategoryName struct{ VI, EN string }

// CategoryNames lists every category's names by slug. The node sets it
// from the forum's store (moderation imports no channel).
type CategoryNames func(ctx context.Context) (map[string]CategoryName, error)

// Labels names, in one language, the codes stored on items: categories,
// departments, languages, and the history's actions and actors. Pages
// show these, never the raw codes; a code without a name shows as it is.
type Labels struct {
	t     i18n.Translator
	cats  map[string]CategoryName
	depts map[string]string
}

// Labels loads the names for translator t's language.
func (s *Service) Labels(ctx context.Context, t i18n.Translator) (_ Labels, err error) {
	defer apperr.Wrap(&err, "moderation.Service.Labels")
	l := Labels{t: t, depts: map[string]string{}}
	if s.CategoryNames != nil {
		cats, err := s.CategoryNames(ctx)
		if err != nil {
			return l, fmt.Errorf("moderation.Labels: %w", err)
		}
		l.cats = cats
	}
	depts, err := s.Store.FindDepartments(ctx)
	if err != nil {
		return l, fmt.Errorf("moderation.Labels: %w", err)
	}
	for _, d := range depts {
		l.depts[d.Slug] = d.Name
	}
	return l, nil
}

// Category is the category's name in the page's language.
func (l Labels) Category(slug string) string {
	c, ok := l.cats[slug]
	switch {
	case !ok:
		return slug
	case l.t.Lang == "en" && c.EN != "":
		return c.EN
	}
	return c.VI
}

// Categories lists the categories by name, for a filter.
func (l Labels) Categories() []NamedCode {
	out := make([]NamedCode, 0, len(l.cats))
	for slug := range l.cats {
		out = append(out, NamedCode{Slug: slug, Name: l.Category(slug)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// NamedCode is a code and its name.
type NamedCode struct{ Slug, Name string }

// Department is the department's name (departments have one, official, name).
func (l Labels) Department(slug string) string {
	if n, ok := l.depts[slug]; ok {
		return n
	}
	return slug
}

// Language is a language code by name ("vi" → "Tiếng Việt").
func (l Labels) Language(code string) string { return l.tr("lang.", code) }

// Action is a history entry's action in words ("claim" → "Nhận xử lý").
func (l Labels) Action(action string) string { return l.tr("history.", action) }

// Actor is who did it: a person's name, or "the system" for jobs.
func (l Labels) Actor(name string) string {
	if name == "" || name == "system" {
		return l.t.T("history.system")
	}
	return name
}

// DirectiveStatus is a directive's state in words.
func (l Labels) DirectiveStatus(status string) string { return l.tr("directive.status.", status) }

// Note is a history note in words when it is a code the system wrote
// ("overdue"), else as written.
func (l Labels) Note(note string) string {
	if k := "history.note." + note; l.t.T(k) != k {
		return l.t.T(k)
	}
	return note
}

func (l Labels) tr(prefix, code string) string {
	if code == "" {
		return ""
	}
	if k := prefix + code; l.t.T(k) != k {
		return l.t.T(k)
	}
	return code
}

// isoDate shows a stored RFC 3339 time (directives keep theirs as strings
// in the API) as the pages show every date.
func isoDate(s *string) string {
	if s == nil || *s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return *s
	}
	return web.FormatDate(t)
}
