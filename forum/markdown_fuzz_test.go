package forum

import (
	"io"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/net/html"
)

// markdownTags is what RenderMarkdown's policy lets through.
var markdownTags = map[string]bool{"p": true, "br": true, "strong": true, "em": true, "del": true, "ul": true, "ol": true,
	"li": true, "blockquote": true, "code": true, "pre": true, "h1": true, "h2": true, "h3": true, "h4": true, "hr": true, "a": true}

// Question and reply bodies are written by anyone and shown to everyone:
// whatever the Markdown, the HTML that comes out holds only the allowed
// elements, links only to http(s) and mailto with rel=nofollow, no event
// handler and no script, and stays proportional to the input.
func FuzzRenderMarkdown(f *testing.F) {
	f.Add("Xin hỏi **thủ tục** cấp [sổ đỏ](https://dichvucong.gov.vn) ở _Hà Giang_?\n\n- một\n- hai")
	f.Add("<script>alert(1)</script>[x](javascript:alert(1)) <img src=x onerror=alert(1)>")
	f.Fuzz(func(t *testing.T, body string) {
		out := RenderMarkdown(body)
		assertSafeFragment(t, body, out)
		if limit := 64*len(body) + 256; len(out) > limit {
			t.Fatalf("%d bytes of Markdown became %d bytes of HTML", len(body), len(out))
		}
		// The search page marks query words in titles and shows the result
		// as HTML: it may only add <mark>.
		title := TitleHTML(body, body)
		for _, tag := range fragmentTags(t, title) {
			if tag != "mark" {
				t.Fatalf("TitleHTML(%q) = %q has <%s>", body, title, tag)
			}
		}
	})
}

// assertSafeFragment parses out as a browser would and checks every tag
// and attribute against the Markdown policy.
func assertSafeFragment(t *testing.T, in, out string) {
	t.Helper()
	if strings.Contains(strings.ToLower(out), "<script") {
		t.Fatalf("RenderMarkdown(%q) = %q contains <script", in, out)
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("RenderMarkdown(%q): %v", in, z.Err())
			}
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken && tt != html.EndTagToken {
			continue
		}
		tok := z.Token()
		if !markdownTags[tok.Data] {
			t.Fatalf("RenderMarkdown(%q) = %q has <%s>", in, out, tok.Data)
		}
		for _, a := range tok.Attr {
			switch {
			case tok.Data == "a" && a.Key == "href":
				if !safeHref(a.Val) {
					t.Fatalf("RenderMarkdown(%q) = %q links to %q", in, out, a.Val)
				}
			case tok.Data == "a" && a.Key == "rel":
				if a.Val != "nofollow" {
					t.Fatalf("RenderMarkdown(%q) = %q: rel=%q", in, out, a.Val)
				}
			default:
				t.Fatalf("RenderMarkdown(%q) = %q has the attribute %s on <%s>", in, out, a.Key, tok.Data)
			}
		}
		if tok.Data == "a" && tt == html.StartTagToken && !hasAttr(tok, "rel") {
			t.Fatalf("RenderMarkdown(%q) = %q: a link without rel=nofollow", in, out)
		}
	}
}

// safeHref accepts relative references and http, https and mailto URLs.
// Browsers ignore ASCII white space and control characters inside a
// scheme, so they are dropped before looking at it.
func safeHref(v string) bool {
	v = strings.ToLower(strings.Map(func(r rune) rune {
		if r <= ' ' || unicode.IsControl(r) {
			return -1
		}
		return r
	}, v))
	scheme, _, found := strings.Cut(v, ":")
	if !found || strings.ContainsAny(scheme, "/?#") {
		return true // no scheme: a relative reference
	}
	return scheme == "http" || scheme == "https" || scheme == "mailto"
}

func hasAttr(tok html.Token, key string) bool {
	for _, a := range tok.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// fragmentTags lists the tags of an HTML fragment, in order.
func fragmentTags(t *testing.T, s string) []string {
	t.Helper()
	var tags []string
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return tags
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			tags = append(tags, z.Token().Data)
		}
	}
}
