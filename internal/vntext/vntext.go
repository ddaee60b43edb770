// Package vntext folds Vietnamese text the way users search it: tone marks,
// other diacritics, case and Unicode normalisation form ignored, đ read as d.
// "Không dấu", "khong dau", "KHÔNG DẤU" and the NFD spelling all fold to
// "khong dau"; "hoà" and "hòa" (old and new tone placement) both to "hoa".
// The database's vn_fold() (migrations/00001) folds the same way.
package vntext

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// foldRune folds one NFC rune to its base letter, lower-cased.
func foldRune(r rune) rune {
	switch r {
	case 'đ', 'Đ':
		return 'd'
	}
	if r < 0x80 {
		return unicode.ToLower(r)
	}
	// NFD splits a precomposed letter into base + combining marks; the base
	// is the first rune.
	d := norm.NFD.String(string(r))
	for _, b := range d {
		if !unicode.Is(unicode.Mn, b) {
			return unicode.ToLower(b)
		}
	}
	return unicode.ToLower(r)
}

// Fold returns s folded: NFC first, then one folded rune per rune, so
// positions in Fold(NFC(s)) line up rune for rune with NFC(s).
func Fold(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) {
			continue // a stray combining mark NFC could not compose
		}
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

// Slug is a readable URL part: folded, ASCII letters and digits joined by
// hyphens, at most 80 bytes ("Đất đai ở Hà Giang" → "dat-dai-o-ha-giang").
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range Fold(s) {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			if b.Len() >= 80 {
				break
			}
		} else {
			dash = true
		}
	}
	return b.String()
}

// Terms splits a query into folded words.
func Terms(q string) []string {
	return strings.FieldsFunc(Fold(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
