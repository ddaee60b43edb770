package forum

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func mustCachedPage(t *testing.T, id int64, lang string, page string, now time.Time) *cachedPage {
	t.Helper()
	p, err := newCachedPage(pageKey{id, lang}, "/cau-hoi/"+itoa(id), []byte(page), now)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPageCacheBounded: the cache stays within its byte budget, dropping the
// least recently used page first.
func TestPageCacheBounded(t *testing.T) {
	now := time.Now()
	one := mustCachedPage(t, 1, "vi", strings.Repeat("a", 100), now)
	c := newPageCache(3 * one.cost())
	c.setLive(true)
	for id := int64(1); id <= 3; id++ {
		if !c.put(mustCachedPage(t, id, "vi", strings.Repeat("a", 100), now), c.epoch) {
			t.Fatalf("put %d refused", id)
		}
	}
	if _, ok := c.get(pageKey{1, "vi"}); !ok { // 1 is now the most recent
		t.Fatal("page 1 missing")
	}
	c.put(mustCachedPage(t, 4, "vi", strings.Repeat("a", 100), now), c.epoch)
	if _, ok := c.get(pageKey{2, "vi"}); ok {
		t.Fatal("page 2, the least recently used, is still kept past the budget")
	}
	for _, id := range []int64{1, 3, 4} {
		if _, ok := c.get(pageKey{id, "vi"}); !ok {
			t.Fatalf("page %d dropped", id)
		}
	}
	if c.size > c.max || c.len() != 3 {
		t.Fatalf("size %d of %d, %d pages", c.size, c.max, c.len())
	}
}

// TestPageCacheStaleRender: a page rendered before an invalidation of any
// question is not stored (it may hold what changed); one rendered after is.
func TestPageCacheStaleRender(t *testing.T) {
	now := time.Now()
	c := newPageCache(DefaultPageCacheBytes)
	c.setLive(true)
	epoch, live := c.begin()
	if !live {
		t.Fatal("not live")
	}
	c.invalidate(7) // the change commits while the page renders
	if c.put(mustCachedPage(t, 7, "vi", "cũ", now), epoch) {
		t.Fatal("a render from before the invalidation was stored")
	}
	epoch, _ = c.begin()
	if !c.put(mustCachedPage(t, 7, "vi", "mới", now), epoch) {
		t.Fatal("a fresh render was refused")
	}
	c.put(mustCachedPage(t, 7, "en", "new", now), epoch)
	c.invalidate(7)
	if _, ok := c.get(pageKey{7, "vi"}); ok {
		t.Fatal("vi page kept after invalidation")
	}
	if _, ok := c.get(pageKey{7, "en"}); ok {
		t.Fatal("en page kept after invalidation")
	}
}

// TestPageCacheNotLive: while LISTEN is down nothing is served or stored,
// and what was stored before is forgotten; entries expire after pageMaxAge.
func TestPageCacheNotLive(t *testing.T) {
	now := time.Now()
	c := newPageCache(DefaultPageCacheBytes)
	c.now = func() time.Time { return now }
	if _, live := c.begin(); live || c.put(mustCachedPage(t, 1, "vi", "x", now), 0) {
		t.Fatal("stored before the listener is live")
	}
	c.setLive(true)
	epoch, _ := c.begin()
	c.put(mustCachedPage(t, 1, "vi", "x", now), epoch)
	c.setLive(false)
	c.setLive(true)
	if _, ok := c.get(pageKey{1, "vi"}); ok {
		t.Fatal("a page from before the listener was lost is served")
	}
	epoch, _ = c.begin()
	c.put(mustCachedPage(t, 1, "vi", "x", now), epoch)
	now = now.Add(pageMaxAge + time.Second)
	if _, ok := c.get(pageKey{1, "vi"}); ok {
		t.Fatal("an expired page is served")
	}
}

// TestCachedPageEncoding: the stored page decompresses to the rendered one.
func TestCachedPageEncoding(t *testing.T) {
	page := strings.Repeat("<p>Nước sạch bản Pả Vi</p>", 50)
	p := mustCachedPage(t, 1, "vi", page, time.Now())
	zr, err := gzip.NewReader(bytes.NewReader(p.gz))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	if string(b) != page || len(p.gz) >= len(page) || !strings.HasPrefix(p.etag, `"`) {
		t.Fatalf("round trip %v, %d → %d bytes, etag %s", string(b) == page, len(page), len(p.gz), p.etag)
	}
	for _, c := range []struct {
		ae   string
		want bool
	}{{"gzip, deflate, br", true}, {"br;q=1.0, gzip;q=0.8", true}, {"*", true}, {"gzip;q=0", false}, {"gzip; q=0.000", false}, {"identity", false}, {"", false}} {
		if got := acceptsGzip(c.ae); got != c.want {
			t.Errorf("acceptsGzip(%q) = %v", c.ae, got)
		}
	}
	if !etagMatches(`W/"x", `+p.etag, p.etag) || etagMatches(`"other"`, p.etag) {
		t.Error("etagMatches")
	}
}

// TestViewCountsNarrowTable: buffered views land in forum_question_views
// and show on the question; flushing them changes no question row, so it
// invalidates no cached page (no forum_pages NOTIFY), while a vote does.
func TestViewCountsNarrowTable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	q := f.mustAsk(NewQuestion{Title: "Đường vào bản bị sạt lở", Body: "Đường vào bản Nậm Cang sạt lở sau mưa lớn.", Category: "giao-thong-ha-tang"})
	conn, err := f.svc.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+pageNotifyChannel); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.Background(), "UNLISTEN *")
	for range 3 {
		f.svc.CountView(q.ID)
	}
	f.svc.CountView(1 << 40) // a question deleted meanwhile is skipped, not an error
	f.svc.flushViews(ctx)
	f.svc.CountView(q.ID)
	f.svc.flushViews(ctx)
	got, err := f.svc.Store.FindQuestionByID(ctx, q.ID)
	if err != nil || got.Views != 4 {
		t.Fatalf("views %d (%v), want 4", got.Views, err)
	}
	// NOTIFY arrives in commit order: a marker sent after the flushes must
	// come first, then the vote's.
	if _, err := f.svc.pool.Exec(ctx, `SELECT pg_notify($1, 'flushed')`, pageNotifyChannel); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Vote(ctx, q.ID, "ip:10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, want := range []string{"flushed", itoa(q.ID)} {
		n, err := conn.Conn().WaitForNotification(wctx)
		if err != nil || n.Payload != want {
			t.Fatalf("notification %+v (%v), want %q", n, err, want)
		}
	}
	if f.count(`SELECT count(*) FROM forum_question_views WHERE question_id = $1`, int64(1<<40)) != 0 {
		t.Fatal("views stored for a question that does not exist")
	}
}
