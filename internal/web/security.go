package web

import "net/http"

// ContentSecurityPolicy allows only this origin's own scripts, styles and
// connections: no inline script or style (pages keep theirs in static/),
// no eval, no plugins, no framing. It is what stops an injected <script>
// from running even if a template ever printed one unescaped.
//
// connect-src names ws: and wss: because older Safari does not count the
// page's own WebSocket as 'self'; without script injection that allowance
// gives an attacker nothing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"

const permissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

// AllowMicrophone lets the page being served use the microphone (this
// origin only): the console's spoken-answer recorder. Every other page
// keeps it off.
func AllowMicrophone(w http.ResponseWriter) {
	w.Header().Set("Permissions-Policy", "camera=(), microphone=(self), geolocation=(), payment=(), usb=()")
}

// SecurityHeaders sets the browser-side defences on every response
// (pages, API, static files, errors). hsts adds Strict-Transport-Security
// and must be set only when the node is reached over HTTPS (SECURE_COOKIES):
// a browser that saw it refuses plain HTTP to the host for a year.
func SecurityHeaders(hsts bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", ContentSecurityPolicy)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY") // frame-ancestors for browsers without CSP 2
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", permissionsPolicy)
			if hsts {
				h.Set("Strict-Transport-Security", "max-age=31536000")
			}
			next.ServeHTTP(w, r)
		})
	}
}
