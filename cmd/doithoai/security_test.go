package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/doithoai/doithoai/internal/web"
)

// wantSecurityHeaders asserts the browser-side defences on one response.
func wantSecurityHeaders(t *testing.T, what string, h http.Header, https bool) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy %q lacks %s", what, csp, want)
		}
	}
	for _, weak := range []string{"unsafe-inline", "unsafe-eval", "*"} {
		if strings.Contains(csp, weak) {
			t.Errorf("%s: Content-Security-Policy %q allows %s", what, csp, weak)
		}
	}
	for name, want := range map[string]string{
		"X-Content-Type-Options":     "nosniff",
		"X-Frame-Options":            "DENY",
		"Referrer-Policy":            "strict-origin-when-cross-origin",
		"Cross-Origin-Opener-Policy": "same-origin",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %s = %q, want %q", what, name, got, want)
		}
	}
	if pp := h.Get("Permissions-Policy"); !strings.Contains(pp, "camera=()") || !strings.Contains(pp, "geolocation=()") {
		t.Errorf("%s: Permissions-Policy %q", what, pp)
	}
	hsts := h.Get("Strict-Transport-Security")
	if https && !strings.HasPrefix(hsts, "max-age=") {
		t.Errorf("%s: Strict-Transport-Security %q under SECURE_COOKIES", what, hsts)
	}
	if !https && hsts != "" {
		t.Errorf("%s: Strict-Transport-Security %q over plain HTTP", what, hsts)
	}
}

// TestSecurityHeaders: pages, API answers, errors and static files all carry
// the CSP and its companions; HSTS only when the node is served over HTTPS.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	c := newClient(t, n)
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/", 200},
		{"/login", 200},
		{"/healthz", 200},
		{"/api/v1/categories", 200},
		{"/api/v1/no-such-thing", 404},
		{"/no-such-page", 404},
		{web.AssetURL("style.css"), 200},
	} {
		r := c.Do("GET", tc.path, nil, nil)
		if r.StatusCode != tc.status {
			t.Errorf("GET %s: %d, want %d", tc.path, r.StatusCode, tc.status)
		}
		wantSecurityHeaders(t, "GET "+tc.path, r.Header, false)
	}
	r := c.Do("POST", "/api/v1/session", `{"login": "x",`, nil)
	wantSecurityHeaders(t, "bad JSON on the API", r.Header, false)
	wantError(t, r, 400, "bad_json")

	t.Run("HSTSUnderSecureCookies", func(t *testing.T) {
		t.Parallel()
		n := MustStartNode(t, "", withEnv("SECURE_COOKIES", "true"))
		r := newClient(t, n).Do("GET", "/healthz", nil, nil)
		wantSecurityHeaders(t, "GET /healthz over HTTPS", r.Header, true)
	})
}

// TestMetricsOffThePublicAddress: the public address answers 404 for
// /metrics (it told anyone the routes, pool and process figures); the
// metrics listener serves the Prometheus text.
func TestMetricsOffThePublicAddress(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	c := newClient(t, n)
	c.MustDo("GET", "/healthz", nil, nil)
	r := c.Do("GET", "/metrics", nil, nil)
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != 404 || strings.Contains(string(body), "doithoai_") {
		t.Fatalf("public /metrics: %d %.200s", r.StatusCode, body)
	}
	resp, err := http.Get(n.MetricsURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("METRICS_ADDR /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`doithoai_http_requests_total{method="GET",route="/healthz",status="200"}`, "doithoai_db_pool_total_conns", "doithoai_http_conns_open", "doithoai_http_conns_max"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("METRICS_ADDR /metrics lacks %s", want)
		}
	}
}
