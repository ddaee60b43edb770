package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestCSRFForms: a form post passes with the visitor's token, or without
// one when the browser says it is same-origin (Sec-Fetch-Site, else Origin,
// else Referer: what a page with no per-visitor token relies on, with or
// without JavaScript); anything from another site, a wrong token, or a
// token-less form with none of those headers is refused and never reaches
// the handler.
func TestCSRFForms(t *testing.T) {
	const host, token = "hoidap.example.vn", "0123456789abcdef0123456789abcdef"
	for _, c := range []struct {
		name    string
		headers map[string]string
		form    url.Values
		want    int
	}{
		{"OKToken", nil, url.Values{"csrf_token": {token}}, http.StatusOK},
		{"OKSameOriginFetch", map[string]string{"Sec-Fetch-Site": "same-origin"}, nil, http.StatusOK},
		{"OKTypedByUser", map[string]string{"Sec-Fetch-Site": "none"}, nil, http.StatusOK},
		{"OKOrigin", map[string]string{"Origin": "https://" + host}, nil, http.StatusOK},
		{"OKOriginAndFetch", map[string]string{"Origin": "https://" + host, "Sec-Fetch-Site": "same-origin"}, nil, http.StatusOK},
		{"OKReferer", map[string]string{"Referer": "https://" + host + "/cau-hoi/7-nuoc-sach"}, nil, http.StatusOK},
		{"ErrNoTokenNoOrigin", nil, nil, http.StatusForbidden},
		{"ErrWrongToken", map[string]string{"Sec-Fetch-Site": "same-origin"}, url.Values{"csrf_token": {strings.Repeat("x", 32)}}, http.StatusForbidden},
		{"ErrCrossSiteFetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, nil, http.StatusForbidden},
		{"ErrSameSiteSubdomain", map[string]string{"Sec-Fetch-Site": "same-site"}, nil, http.StatusForbidden},
		{"ErrOtherOrigin", map[string]string{"Origin": "https://evil.example"}, nil, http.StatusForbidden},
		{"ErrOtherOriginWithToken", map[string]string{"Origin": "https://evil.example"}, url.Values{"csrf_token": {token}}, http.StatusForbidden},
		{"ErrNullOrigin", map[string]string{"Origin": "null"}, nil, http.StatusForbidden},
		{"ErrOtherReferer", map[string]string{"Referer": "https://evil.example/?u=https://" + host}, nil, http.StatusForbidden},
		{"ErrRefererSchemeless", map[string]string{"Referer": "//" + host + "/"}, nil, http.StatusForbidden},
	} {
		t.Run(c.name, func(t *testing.T) {
			reached := false
			h := CSRF(true)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
			req := httptest.NewRequest(http.MethodPost, "https://"+host+"/cau-hoi/7/cung-hoi", strings.NewReader(c.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: csrfCookie, Value: token})
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != c.want || reached != (c.want == http.StatusOK) {
				t.Fatalf("status %d (handler reached: %v), want %d", w.Code, reached, c.want)
			}
		})
	}
}
