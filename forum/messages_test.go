package forum

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// Every field error the forum returns is shown on the form as
// forum.err.<code>; a code without a message would show the English
// developer text on the Vietnamese page.
func TestEveryFieldErrorHasAMessage(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`fieldErr\("[^"]*", "([a-z_]+)"`)
	codes := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(src, -1) {
			codes[string(m[1])] = true
		}
	}
	if len(codes) < 10 {
		t.Fatalf("found only %d field error codes: the pattern no longer matches the code", len(codes))
	}
	for _, lang := range []string{"vi", "en"} {
		raw, err := os.ReadFile(filepath.Join("messages", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]string
		if err := json.Unmarshal(raw, &msgs); err != nil {
			t.Fatal(err)
		}
		for code := range codes {
			if msgs["forum.err."+code] == "" {
				t.Errorf("%s: no message forum.err.%s", lang, code)
			}
		}
	}
}
