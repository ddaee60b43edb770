package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// newClientFrom is newClient whose connections leave from source (an
// address in 127.0.0.0/8), so the node sees a different client address per
// client without trusting any header.
func newClientFrom(t *testing.T, n *node, source string) *client {
	t.Helper()
	c := newClient(t, n)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 10 * time.Second}
	c.http.Transport = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
	t.Cleanup(c.http.CloseIdleConnections)
	return c
}

// PostForm posts an HTML form the way a browser does (with the CSRF token)
// and returns the response, its body read and kept. It goes through the
// transport itself because http.Client refuses a response whose Location
// it cannot parse, and that Location is exactly what a test must see.
func (c *client) PostForm(path string, form url.Values) *http.Response {
	c.t.Helper()
	form.Set("csrf_token", c.csrf())
	resp, err := c.postForm(path, form)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	return resp
}

// postForm is PostForm for other goroutines: it returns the error instead
// of failing the test, and expects form to carry the CSRF token already.
func (c *client) postForm(path string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range c.http.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	rt := c.http.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	c.http.Jar.SetCookies(req.URL, resp.Cookies())
	return keepBody(resp), nil
}

// keepBody reads resp's body into memory so callers can read it after the
// connection went back to the pool.
func keepBody(resp *http.Response) *http.Response {
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp
}
