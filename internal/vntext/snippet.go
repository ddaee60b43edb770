package vntext

import (
	"html"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Snippet returns an HTML-escaped excerpt of text (at most about width
// runes) around the first match of any term, with every match wrapped in
// <mark>. Matching is on whole folded words (as the search index matches
// them), so "khong dau" marks "không dấu" in the original spelling.
func Snippet(text string, terms []string, width int) string {
	return snippet(text, terms, nil, width)
}

// SnippetQuery is Snippet for a query as the citizen typed it. A word
// typed with its tone marks ("đất") marks only that exact form when the
// text has it: in Vietnamese one folded syllable is many words ("dat" is
// đất, đạt, dát…), and lighting up all of them hides the one looked for.
// A word typed without marks ("dat") marks every form.
func SnippetQuery(text, query string, width int) string {
	terms := Terms(query)
	exact := strings.FieldsFunc(strings.ToLower(removeMarks(norm.NFC.String(query))), func(r rune) bool { return !isWord(r) })
	if len(exact) != len(terms) {
		exact = nil // cannot line them up (a stray mark): fold only
	}
	return snippet(text, terms, exact, width)
}

func snippet(text string, terms, exact []string, width int) string {
	orig := []rune(removeMarks(norm.NFC.String(text)))
	folded := []rune(Fold(string(orig)))
	if len(folded) != len(orig) { // cannot happen after removeMarks; stay safe
		return html.EscapeString(truncate(string(orig), width))
	}
	type word struct{ start, end int }
	var words []word
	for i := 0; i < len(folded); {
		if !isWord(folded[i]) {
			i++
			continue
		}
		j := i
		for j < len(folded) && isWord(folded[j]) {
			j++
		}
		words = append(words, word{i, j})
		i = j
	}
	// exactOnly[k]: term k was typed with marks and that form is in the text.
	exactOnly := make([]bool, len(terms))
	for k := range exact {
		if exact[k] == terms[k] {
			continue
		}
		for _, w := range words {
			if strings.ToLower(string(orig[w.start:w.end])) == exact[k] {
				exactOnly[k] = true
				break
			}
		}
	}
	type span struct{ start, end int }
	var spans []span
	for _, w := range words {
		f := string(folded[w.start:w.end])
		for k, t := range terms {
			if t == "" || f != t {
				continue
			}
			if exactOnly[k] && strings.ToLower(string(orig[w.start:w.end])) != exact[k] {
				continue
			}
			spans = append(spans, span(w))
			break
		}
	}
	start, end := 0, len(orig)
	if len(orig) > width {
		if len(spans) > 0 {
			start = spans[0].start - width/3
			if start < 0 {
				start = 0
			}
		}
		end = start + width
		if end > len(orig) {
			end = len(orig)
			start = max(0, end-width)
		}
		// Do not cut a word in half.
		for start > 0 && isWord(orig[start-1]) && start < end {
			start++
		}
		for end < len(orig) && isWord(orig[end]) && end > start {
			end--
		}
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	pos := start
	for _, s := range spans {
		if s.end <= start || s.start >= end {
			continue
		}
		ss, se := max(s.start, start), min(s.end, end)
		b.WriteString(html.EscapeString(string(orig[pos:ss])))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(string(orig[ss:se])))
		b.WriteString("</mark>")
		pos = se
	}
	b.WriteString(html.EscapeString(string(orig[pos:end])))
	if end < len(orig) {
		b.WriteString("…")
	}
	return b.String()
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func removeMarks(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, s)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
