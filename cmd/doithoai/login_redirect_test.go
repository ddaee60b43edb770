package main

import (
	"net/url"
	"testing"
)

// TestLoginFormRedirectStaysLocal: a login link carrying a crafted next
// (a TAB or newline that browsers strip, turning "/\t/evil" into
// "//evil") still lands on this site after the form login.
func TestLoginFormRedirectStaysLocal(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	MustCreateUser(t, n, "moderator", "mod-next", "correct horse battery")
	for _, next := range []string{"/\t/evil.example", "/\n/evil.example", "/\\evil.example", "//evil.example", "https://evil.example/"} {
		c := newClient(t, n)
		resp := c.PostForm("/login", url.Values{"login": {"mod-next"}, "password": {"correct horse battery"}, "next": {next}})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != 303 || loc != "/console" {
			t.Errorf("next=%q: %d Location %q, want 303 to /console", next, resp.StatusCode, loc)
		}
	}
	c := newClient(t, n)
	resp := c.PostForm("/login", url.Values{"login": {"mod-next"}, "password": {"correct horse battery"}, "next": {"/hoi?tab=new"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || loc != "/hoi?tab=new" {
		t.Fatalf("a clean next is lost: %d %q", resp.StatusCode, loc)
	}
}
