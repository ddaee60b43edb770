package web

import (
	"net/url"
	"strings"
)

// maxLocalPath bounds a redirect target; longer ones are not links we made.
const maxLocalPath = 2048

// LocalPath returns p when it is a clean path on this site, else "". Use it
// on every user-supplied redirect target (?next=, a form's next field).
//
// Browsers follow the WHATWG URL parser, which drops TAB, CR and LF anywhere
// and leading spaces and controls, and reads "\" as "/": "/\t/evil" and
// "/\evil" both become "//evil", another host. So a target is accepted only
// if it starts with exactly one "/", holds no backslash, whitespace or
// control character at all, and parses with no scheme, host or user.
func LocalPath(p string) string {
	if len(p) > maxLocalPath || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return ""
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return ""
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	return p
}
