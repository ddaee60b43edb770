package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/doithoai/doithoai/internal/config"
	"github.com/jackc/pgx/v5"
)

// voteCount is the question's stored vote count.
func voteCount(t *testing.T, n *node, id int64) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), n.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var v int
	if err := conn.QueryRow(context.Background(), `SELECT votes FROM forum_questions WHERE id = $1`, id).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func randomCookieValue() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// cookieOf is the value of the cookie name in c's jar ("" if none).
func cookieOf(c *client, name string) string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// pagePath is the question's canonical page (other paths redirect).
func pagePath(t *testing.T, q questionCreated) string {
	u, err := url.Parse(q.URL)
	if err != nil || u.Path == "" {
		t.Fatalf("question URL %q", q.URL)
	}
	return u.Path
}

func mustAskPublic(t *testing.T, n *node) questionCreated {
	t.Helper()
	return mustAsk(t, newClient(t, n), "Nước sinh hoạt bản Pả Vi", "Bản Pả Vi thiếu nước sinh hoạt vào mùa khô, xin hỏi khi nào có công trình nước?", "giao-thong-ha-tang")
}

// TestVoteStuffingWithInventedCookies: 200 votes from one address, each
// with a freshly invented csrf and voter cookie, add one vote in all (the
// server never signed those voters, so they are one address), and past
// the per-address budget they are refused with 429.
func TestVoteStuffingWithInventedCookies(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	q := mustAskPublic(t, n)
	before := voteCount(t, n, q.ID)
	stuffer := newClientBoundTo(t, n, "127.0.0.11")
	stuffer.http.Jar = nil
	ok, limited := 0, 0
	for i := 0; i < 200; i++ {
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/questions/%d/votes", n.URL, q.ID), strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", "csrf="+randomCookieValue()+"; voter="+randomCookieValue())
		resp, err := stuffer.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case 200:
			ok++
		case 429:
			limited++
			if resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "too_many_votes") {
				t.Fatalf("429 without Retry-After or code: %q %s", resp.Header.Get("Retry-After"), body)
			}
		default:
			t.Fatalf("vote %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if got := voteCount(t, n, q.ID) - before; got != 1 {
		t.Fatalf("200 votes with invented cookies added %d votes, want 1", got)
	}
	if ok != 30 || limited != 170 {
		t.Fatalf("%d votes accepted and %d refused, want 30 and 170 (30 an hour per address)", ok, limited)
	}
}

// TestVoteLimitPerAddress: 50 real browsers behind one address (each gets
// its own signed voter cookie from the page) count at most the per-address
// budget; a browser elsewhere still votes.
func TestVoteLimitPerAddress(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	q := mustAskPublic(t, n)
	before := voteCount(t, n, q.ID)
	page := pagePath(t, q)
	statuses := map[int]int{}
	var last *client
	for i := 0; i < 50; i++ {
		last = newClientBoundTo(t, n, "127.0.0.12")
		if r := last.Do("GET", page, nil, nil); r.StatusCode != 200 {
			t.Fatalf("browser %d: page %d", i, r.StatusCode)
		}
		statuses[last.Do("POST", fmt.Sprintf("/api/v1/questions/%d/votes", q.ID), nil, nil).StatusCode]++
	}
	if got := voteCount(t, n, q.ID) - before; got != 30 {
		t.Fatalf("50 browsers behind one address added %d votes, want the budget of 30", got)
	}
	if statuses[200] != 30 || statuses[429] != 20 || cookieOf(last, "voter") == "" {
		t.Fatalf("vote statuses %v, voter cookie %q: want 30×200 then 20×429, from browsers the page gave a cookie", statuses, cookieOf(last, "voter"))
	}
	// The button says so in words on the page, with the status.
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/cau-hoi/%d/cung-hoi", n.URL, q.ID), strings.NewReader(url.Values{"csrf_token": {last.csrf()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := last.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "quá nhiều lần") || !strings.Contains(string(body), "Nước sinh hoạt") {
		t.Fatalf("form vote past the budget: %d Retry-After %q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	elsewhere := newClientBoundTo(t, n, "127.0.0.13")
	elsewhere.MustDo("GET", page, nil, nil)
	var v struct {
		Votes int
		Added bool
	}
	if r := elsewhere.Do("POST", fmt.Sprintf("/api/v1/questions/%d/votes", q.ID), nil, &v); r.StatusCode != 200 || !v.Added || v.Votes != before+31 {
		t.Fatalf("vote from another address: %d %+v", r.StatusCode, v)
	}
}

// TestVoteBrowserFlowCountsOnce: a browser that loads the page and presses
// the button counts once however often it presses (form or API); another
// browser, a signed-in citizen and a client without cookies each count
// once more.
func TestVoteBrowserFlowCountsOnce(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	q := mustAskPublic(t, n)
	before := voteCount(t, n, q.ID)
	page := pagePath(t, q)
	formVote := func(b *client) {
		t.Helper()
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/cau-hoi/%d/cung-hoi", n.URL, q.ID), strings.NewReader(url.Values{"csrf_token": {b.csrf()}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := b.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("form vote: %d", resp.StatusCode)
		}
	}
	want := func(delta int, what string) {
		t.Helper()
		if got := voteCount(t, n, q.ID) - before; got != delta {
			t.Fatalf("%s: %d votes, want %d", what, got, delta)
		}
	}

	b1 := newClientBoundTo(t, n, "127.0.0.14")
	if r := b1.Do("GET", page, nil, nil); r.StatusCode != 200 {
		t.Fatalf("page: %d", r.StatusCode)
	}
	token := cookieOf(b1, "voter")
	for i := 0; i < 3; i++ {
		formVote(b1)
	}
	b1.MustDo("POST", fmt.Sprintf("/api/v1/questions/%d/votes", q.ID), nil, nil)
	want(1, "one browser pressing four times")
	if cookieOf(b1, "voter") != token {
		t.Fatal("the server replaced a voter cookie it had signed")
	}

	b2 := newClientBoundTo(t, n, "127.0.0.14") // same household, same address
	b2.MustDo("GET", page, nil, nil)
	formVote(b2)
	formVote(b2)
	want(2, "a second browser")

	citizen := newClientBoundTo(t, n, "127.0.0.14")
	citizen.MustLogin("0911222333", "citizen-password")
	citizen.MustDo("POST", fmt.Sprintf("/api/v1/questions/%d/votes", q.ID), nil, nil)
	citizen.MustDo("POST", fmt.Sprintf("/api/v1/questions/%d/votes", q.ID), nil, nil)
	want(3, "a signed-in citizen voting twice")

	// A client that keeps no cookies counts once for its address.
	for i := 0; i < 2; i++ {
		nojar := newClientBoundTo(t, n, "127.0.0.15")
		nojar.http.Jar = nil
		var v struct{ Added bool }
		if r := nojar.Do("POST", fmt.Sprintf("/api/v1/questions/%d/votes", q.ID), nil, &v); r.StatusCode != 200 || v.Added != (i == 0) {
			t.Fatalf("cookieless vote %d: %d added=%v", i, r.StatusCode, v.Added)
		}
	}
	want(4, "a client without cookies, twice")
}

// TestVoterCookieWorksOnEveryNode: nodes of one deployment share the key
// that signs voter cookies (generated once into PostgreSQL when
// SIGNING_KEY is unset), so a browser served by one node and voting on
// another counts once.
func TestVoterCookieWorksOnEveryNode(t *testing.T) {
	t.Parallel()
	n1 := MustSeededNode(t)
	n2 := MustStartNode(t, n1.DBURL)
	q := mustAskPublic(t, n1)
	before := voteCount(t, n1, q.ID)
	b := newClientBoundTo(t, n1, "127.0.0.16")
	if r := b.Do("GET", pagePath(t, q), nil, nil); r.StatusCode != 200 || cookieOf(b, "voter") == "" {
		t.Fatalf("page: %d, voter cookie %q", r.StatusCode, cookieOf(b, "voter"))
	}
	token := cookieOf(b, "voter")
	on2 := *b
	on2.base = n2.URL // the jar's cookies are per host, not per port
	var v struct{ Added bool }
	if r := on2.Do("POST", fmt.Sprintf("/api/v1/questions/%d/votes", q.ID), nil, &v); r.StatusCode != 200 || !v.Added {
		t.Fatalf("vote on the second node: %d %+v", r.StatusCode, v)
	}
	if cookieOf(b, "voter") != token {
		t.Fatal("the second node did not recognise the first node's voter cookie and issued its own")
	}
	if r := b.Do("POST", fmt.Sprintf("/api/v1/questions/%d/votes", q.ID), nil, &v); r.StatusCode != 200 || v.Added {
		t.Fatalf("same browser on the first node: %d %+v", r.StatusCode, v)
	}
	if got := voteCount(t, n1, q.ID) - before; got != 1 {
		t.Fatalf("%d votes, want 1", got)
	}
	if _, err := config.Load(func(k string) string {
		return map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "SIGNING_KEY": "too-short"}[k]
	}); err == nil || !strings.Contains(err.Error(), "SIGNING_KEY") {
		t.Fatalf("a short SIGNING_KEY was accepted: %v", err)
	}
}
