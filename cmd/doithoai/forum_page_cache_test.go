package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// anonPage GETs path as an anonymous browser with its own cookie jar and
// returns the status, the page and the response.
func anonPage(t *testing.T, c *client, path string) (int, string, *http.Response) {
	t.Helper()
	resp := c.Do("GET", path, nil, nil)
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

// waitPage GETs path on c until the page contains want (NOTIFY reaches the
// other node asynchronously; a stale page would stay stale for a minute,
// far past this deadline).
func waitPage(t *testing.T, c *client, path, want string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, body, _ := anonPage(t, c, path)
		if strings.Contains(body, want) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%s never showed %q:\n%.2000s", c.base, path, want, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitCached GETs path until a view comes from the cache (the node's
// LISTEN may not be in place yet right after it started).
func waitCached(t *testing.T, c *client, path string) (string, *http.Response) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body, resp := anonPage(t, c, path)
		if code == 200 && resp.Header.Get("X-Page-Cache") == "hit" {
			return body, resp
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%s: never served from the cache (%d, X-Page-Cache %q)", c.base, path, code, resp.Header.Get("X-Page-Cache"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// postFromPage posts a form the way a browser without JavaScript does from
// a cached question page: no csrf_token field, the browser's own
// Sec-Fetch-Site and Origin headers.
func postFromPage(t *testing.T, c *client, path string, form url.Values) int {
	t.Helper()
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestForumPageCacheAcrossNodes: two nodes on one database. Node A serves
// an anonymous question page from its cache (a change made with triggers
// off does not show), and every write on node B — a vote and a reply from
// the page's token-less forms, a moderator's official answer, a category
// rename — shows on node A's page.
func TestForumPageCacheAcrossNodes(t *testing.T) {
	t.Parallel()
	a := MustSeededNode(t)
	b := MustStartNode(t, a.DBURL)
	q := mustAskPublic(t, a)
	path := pagePath(t, q)
	anonA := newClient(t, a)

	first, resp := waitCached(t, anonA, path)
	if !strings.Contains(first, "Nước sinh hoạt bản Pả Vi") || resp.Header.Get("ETag") == "" {
		t.Fatalf("cached view: etag %q\n%.2000s", resp.Header.Get("ETag"), first)
	}
	if strings.Contains(first, "csrf_token") {
		t.Fatalf("the anonymous page carries a csrf token:\n%s", first)
	}
	// A title changed with triggers off (no NOTIFY) stays unseen: the page
	// comes from the cache.
	conn, err := pgx.Connect(context.Background(), a.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(context.Background(), `UPDATE forum_questions SET title = 'Tiêu đề đổi ngầm' WHERE id = $1`, q.ID); err != nil {
		t.Fatal(err)
	}
	if _, again, _ := anonPage(t, anonA, path); again != first {
		t.Fatalf("second anonymous view differs from the first: not served from the cache")
	}
	// The same page revalidated costs a 304.
	req, _ := http.NewRequest("GET", a.URL+path, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	r304, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	r304.Body.Close()
	if r304.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation with ETag %q: %d, want 304", resp.Header.Get("ETag"), r304.StatusCode)
	}

	// A vote on node B, from the form of B's cached page, without a token.
	anonB := newClient(t, b)
	if _, body, _ := anonPage(t, anonB, path); strings.Contains(body, "csrf_token") {
		t.Fatal("node B's anonymous page carries a csrf token")
	}
	if code := postFromPage(t, anonB, fmt.Sprintf("/cau-hoi/%d/cung-hoi", q.ID), url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("token-less vote from the page: %d, want 303", code)
	}
	// The invalidation drops the page: the title changed behind the cache
	// shows too, and the vote.
	waitPage(t, anonA, path, "Tiêu đề đổi ngầm")
	waitPage(t, anonA, path, `class="muted">1 `)

	// A reply on node B (post-moderated category: published at once).
	const reply = "Bản tôi cũng thiếu nước từ tháng ba."
	if code := postFromPage(t, anonB, fmt.Sprintf("/cau-hoi/%d/tra-loi", q.ID), url.Values{"body": {reply}}); code != http.StatusSeeOther {
		t.Fatalf("token-less reply from the page: %d, want 303", code)
	}
	waitPage(t, anonA, path, reply)

	// A moderator's official answer, given on node B.
	m := newClient(t, b)
	m.MustLogin("mod1", "mod1-password")
	var list struct{ Items []item }
	m.MustDo("GET", "/api/v1/moderation/items?source=forum_question", nil, &list)
	var itemID int64
	for _, it := range list.Items {
		if it.Ref == fmt.Sprint(q.ID) {
			itemID = it.ID
		}
	}
	if itemID == 0 {
		t.Fatalf("no queue item for question %d: %+v", q.ID, list)
	}
	m.MustDo("POST", fmt.Sprintf("/api/v1/moderation/items/%d/claim", itemID), nil, nil)
	const answer = "Huyện sẽ khởi công công trình nước bản Pả Vi trong quý hai."
	m.MustDo("POST", fmt.Sprintf("/api/v1/moderation/items/%d/answer", itemID), map[string]string{"body": answer}, nil)
	waitPage(t, anonA, path, answer)

	// A category renamed (directly, as an admin page would): every page.
	if _, err := conn.Exec(context.Background(), `SET session_replication_role = DEFAULT`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(context.Background(), `UPDATE forum_categories SET name = 'Giao thông và nước sạch' WHERE slug = 'giao-thong-ha-tang'`); err != nil {
		t.Fatal(err)
	}
	waitPage(t, anonA, path, "Giao thông và nước sạch")
}

// TestForumPageCacheBypass: what belongs to one visitor never reaches
// another through the cache. A signed-in citizen gets their own page (their
// name, the logout form with their token) after anonymous views filled the
// cache; a flash (?done=) is shown to the one redirected there only; no
// anonymous page carries anyone's csrf token.
func TestForumPageCacheBypass(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	q := mustAskPublic(t, n)
	path := pagePath(t, q)

	first := newClient(t, n)
	first.csrf() // a visitor with a token of their own
	if body, _ := waitCached(t, first, path); strings.Contains(body, first.csrf()) || strings.Contains(body, "csrf_token") {
		t.Fatal("an anonymous page shows a csrf token")
	}
	cit := newClient(t, n)
	cit.MustLogin("0911222333", "citizen-password")
	_, body, resp := anonPage(t, cit, path)
	if !strings.Contains(body, `action="/logout"`) || !strings.Contains(body, `name="csrf_token" value="`+cit.csrf()+`"`) {
		t.Fatalf("signed-in view is not the citizen's own page:\n%.3000s", body)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Page-Cache") != "" {
		t.Errorf("signed-in page Cache-Control %q, want no-store", resp.Header.Get("Cache-Control"))
	}
	// The flash of one visitor's vote is theirs alone.
	voter := newClient(t, n)
	anonPage(t, voter, path)
	if code := postFromPage(t, voter, fmt.Sprintf("/cau-hoi/%d/cung-hoi", q.ID), url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("vote: %d", code)
	}
	_, flash, _ := anonPage(t, voter, path+"?done=vote")
	if !strings.Contains(flash, `class="card flash"`) {
		t.Fatalf("the voter's confirmation shows no flash:\n%.2000s", flash)
	}
	other := newClient(t, n)
	for range 2 {
		if body, _ := waitCached(t, other, path); strings.Contains(body, `class="card flash"`) || strings.Contains(body, voter.csrf()) {
			t.Fatal("another visitor sees the voter's flash or token")
		}
	}
	// A form with none of the browser's same-origin headers and no token
	// is still refused.
	bare := newClient(t, n)
	bare.http.Jar, _ = cookiejar.New(nil)
	form := url.Values{"body": {"Không có mã, không có nguồn."}}
	resp2, err := bare.http.PostForm(n.URL+fmt.Sprintf("/cau-hoi/%d/tra-loi", q.ID), form)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusForbidden {
		t.Fatalf("form without token or origin: %d, want 403", resp2.StatusCode)
	}
}

// TestForumPageCacheOff: PAGE_CACHE_MB=0 turns the anonymous page cache
// off. Every view is then the ordinary per-visitor page, the visitor's own
// csrf token in its forms, which the shared cached page never carries.
func TestForumPageCacheOff(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "", withEnv("PAGE_CACHE_MB", "0"))
	MustRun(t, n.DBURL, "", "seed")
	q := mustAskPublic(t, n)
	path := pagePath(t, q)
	for range 3 {
		c := newClient(t, n)
		code, body, resp := anonPage(t, c, path)
		if code != http.StatusOK || !strings.Contains(body, "Nước sinh hoạt bản Pả Vi") {
			t.Fatalf("%s: %d\n%.1000s", path, code, body)
		}
		if h := resp.Header.Get("X-Page-Cache"); h != "" {
			t.Fatalf("X-Page-Cache %q with the cache off", h)
		}
		if !strings.Contains(body, `name="csrf_token" value="`+c.csrf()+`"`) {
			t.Fatalf("an uncached anonymous page without the visitor's own token:\n%.3000s", body)
		}
	}
}
