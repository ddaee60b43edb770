package forum

import (
	"bytes"
	"html"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Citizens write a safe subset of Markdown: paragraphs, emphasis, lists,
// quotes, code and links. goldmark renders it without raw HTML; the
// bluemonday policy then allows only those elements, only http(s)/mailto
// links, with rel=nofollow. Images are left out on purpose (tracking pixels,
// weight on 2G).
var (
	md     = goldmark.New(goldmark.WithExtensions(extension.Linkify, extension.Strikethrough))
	policy = func() *bluemonday.Policy {
		p := bluemonday.NewPolicy()
		p.AllowStandardURLs()
		p.AllowURLSchemes("http", "https", "mailto")
		p.AllowElements("p", "br", "strong", "em", "del", "ul", "ol", "li", "blockquote", "code", "pre", "h1", "h2", "h3", "h4", "hr")
		p.AllowAttrs("href").OnElements("a")
		p.RequireNoFollowOnLinks(true)
		return p
	}()
)

// RenderMarkdown returns sanitized HTML for body.
func RenderMarkdown(body string) string {
	var buf bytes.Buffer
	if err := md.Convert([]byte(body), &buf); err != nil {
		return "<p>" + html.EscapeString(body) + "</p>"
	}
	return policy.Sanitize(buf.String())
}
