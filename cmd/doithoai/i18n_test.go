package main

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/doithoai/doithoai/forum"
	"github.com/doithoai/doithoai/internal/auth"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
	"github.com/doithoai/doithoai/moderation/feedback"
	"github.com/doithoai/doithoai/moderation/notify"
)

// TestCatalogsComplete: every Vietnamese message has an English one, no key
// is defined twice, and every key a template asks for exists.
func TestCatalogsComplete(t *testing.T) {
	cat := i18n.New()
	catalogs := map[string]fs.FS{"web": web.Messages, "moderation": moderation.Messages, "forum": forum.Messages, "feedback": feedback.Messages, "callcenter": callcenter.Messages,
		"notify": notify.Messages, "auth": auth.Messages}
	for name, c := range catalogs {
		if err := cat.Add(c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if missing := cat.Missing("en"); len(missing) > 0 {
		t.Errorf("keys without English: %v", missing)
	}
	en := cat.For("en")
	used := regexp.MustCompile(`\.Tr "([a-z_.]+)"`)
	for name, tmpls := range map[string]fs.FS{"forum": forum.Templates, "moderation": moderation.Templates, "callcenter": callcenter.Templates,
		"auth": auth.Templates} {
		_ = fs.WalkDir(tmpls, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
				return err
			}
			data, _ := fs.ReadFile(tmpls, p)
			for _, m := range used.FindAllStringSubmatch(string(data), -1) {
				if key := m[1]; !strings.HasSuffix(key, ".") && en.T(key) == key {
					t.Errorf("%s/%s uses undefined key %q", name, p, key)
				}
			}
			return nil
		})
	}
}
