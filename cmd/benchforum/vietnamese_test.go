package main

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/doithoai/doithoai/forum"
	"github.com/doithoai/doithoai/internal/vntext"
)

func TestGeneratedHTMLMatchesForumRendering(t *testing.T) {
	g := newTextGen(1, 0, 5000)
	now := time.Now()
	for i := range 5000 {
		q := g.question(i, -1, now)
		if want := forum.RenderMarkdown(q.body); q.bodyHTML != want {
			t.Fatalf("question %d:\n got %q\nwant %q", i, q.bodyHTML, want)
		}
		if q.answer != "" {
			if want := forum.RenderMarkdown(q.answer); paragraphsHTML(strings.Split(q.answer, "\n\n")) != want {
				t.Fatalf("answer %d: %q", i, want)
			}
		}
		if !utf8.ValidString(q.title+q.body+q.answer) || !unicode.IsUpper([]rune(q.title)[0]) {
			t.Fatalf("question %d: invalid UTF-8 or lower-case title %q", i, q.title)
		}
		if vntext.Slug(q.title) == "" || len(q.title) > 3*forum.MaxTitle || len([]rune(q.title)) < forum.MinTitle {
			t.Fatalf("question %d: bad title %q", i, q.title)
		}
	}
}

// TestRarePlacesAreRare checks that, apart from the questions that name a
// rare place on purpose, no generated question holds all the words of a
// rare query, so the "rare" search really is rare.
func TestRarePlacesAreRare(t *testing.T) {
	const n = 30000
	g := newTextGen(7, 0, n)
	now := time.Now()
	every := rareEvery(n)
	found := make([]int, len(rarePlaces))
	for i := range n {
		rare := -1
		if i%every == every/2 {
			rare = (i / every) % len(rarePlaces)
		}
		q := g.question(i, rare, now)
		words := map[string]bool{}
		for _, w := range vntext.Terms(q.title + " " + q.body) {
			words[w] = true
		}
		for k, p := range rarePlaces {
			all := true
			for _, w := range vntext.Terms(p) {
				all = all && words[w]
			}
			if all {
				if k != rare {
					t.Fatalf("question %d (rare=%d) holds every word of %q: %s", i, rare, p, q.body)
				}
				found[k]++
			}
		}
	}
	for k, c := range found {
		if c == 0 || c > 20 {
			t.Errorf("%s: in %d questions, want a handful", rarePlaces[k], c)
		}
	}
}

func TestTrackingCodesUnique(t *testing.T) {
	seen := make(map[string]struct{}, 1_000_000)
	for i := range uint64(1_000_000) {
		c := trackingCode(i)
		if back, ok := codeIndex(c); !ok || back != i {
			t.Fatalf("codeIndex(%s) = %d, %v; want %d", c, back, ok, i)
		}
		if _, dup := seen[c]; dup {
			t.Fatalf("code %s repeats at %d", c, i)
		}
		seen[c] = struct{}{}
	}
}
