package forum

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"sync"
	"time"

	"github.com/doithoai/doithoai/internal/i18n"
)

// The page cache keeps question pages as anonymous visitors see them,
// gzip-compressed once, so that most page views cost neither the two
// queries nor the template nor the compression (see BENCHMARKS.md,
// "Question page"). Only pages that hold nothing of one visitor are kept:
// no user, no csrf token (forms on them are checked by origin, see
// internal/web/csrf.go), no flash message, no tracking code; handlers
// decide that (handlers_pages.go), the cache only stores bytes.
//
// Invalidation: every change a page shows (reply, vote, answer, edit,
// moderation decision, category rename, deletion) fires NOTIFY forum_pages
// from a trigger (migration 00077) on commit, which every node's listener
// (page_cache_listen.go) receives. While the listener is not connected the
// cache neither serves nor stores, and it is emptied when LISTEN is back,
// so a notification missed during an outage cannot leave a stale page.
// Entries also expire after maxAge, which bounds how old a page's view
// count can be.
const (
	// DefaultPageCacheBytes bounds the compressed pages one node keeps:
	// ~2 KB a page, so about 30,000 pages.
	DefaultPageCacheBytes = 64 << 20
	pageMaxAge            = time.Minute
)

type pageKey struct {
	id   int64
	lang string
}

// cachedPage is one stored page; immutable once stored.
type cachedPage struct {
	key    pageKey
	path   string // the canonical path it was rendered for
	gz     []byte // the page, gzip-compressed
	etag   string // strong validator of the uncompressed page
	stored time.Time
}

func (p *cachedPage) cost() int64 { return int64(len(p.gz)+len(p.path)+len(p.etag)) + 128 }

// pageCache is a byte-bounded LRU. mu guards entries, lru and size;
// epoch and live are guarded by mu too, read under it on every get/put.
type pageCache struct {
	max int64
	now func() time.Time

	mu      sync.Mutex
	entries map[pageKey]*list.Element // of *cachedPage
	lru     *list.List                // front: most recently used
	size    int64
	// epoch counts invalidations: a render that began before one may hold
	// what it changed, so it is not stored (put compares).
	epoch uint64
	// live is true while the listener is connected.
	live bool

	// invalidated, if set (tests), is called after each invalidation with
	// the id, or 0 for all.
	invalidated func(id int64)
}

func newPageCache(maxBytes int64) *pageCache {
	return &pageCache{max: maxBytes, now: time.Now, entries: map[pageKey]*list.Element{}, lru: list.New()}
}

// begin returns the epoch a render starts at, and whether a page rendered
// now may be stored at all.
func (c *pageCache) begin() (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch, c.live
}

// get returns the page stored for k, if fresh and the cache is live.
func (c *pageCache) get(k pageKey) (*cachedPage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live {
		return nil, false
	}
	el, ok := c.entries[k]
	if !ok {
		return nil, false
	}
	p := el.Value.(*cachedPage)
	if c.now().Sub(p.stored) > pageMaxAge {
		c.removeLocked(el)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return p, true
}

// put stores p unless an invalidation came after epoch (the render may be
// stale) or the listener is down.
func (c *pageCache) put(p *cachedPage, epoch uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.epoch != epoch || p.cost() > c.max {
		return false
	}
	if el, ok := c.entries[p.key]; ok {
		c.removeLocked(el)
	}
	c.entries[p.key] = c.lru.PushFront(p)
	c.size += p.cost()
	for c.size > c.max {
		c.removeLocked(c.lru.Back())
	}
	return true
}

func (c *pageCache) removeLocked(el *list.Element) {
	p := c.lru.Remove(el).(*cachedPage)
	delete(c.entries, p.key)
	c.size -= p.cost()
}

// invalidate drops question id's pages in every language.
func (c *pageCache) invalidate(id int64) {
	c.mu.Lock()
	c.epoch++
	for _, lang := range i18n.Languages {
		if el, ok := c.entries[pageKey{id, lang}]; ok {
			c.removeLocked(el)
		}
	}
	f := c.invalidated
	c.mu.Unlock()
	if f != nil {
		f(id)
	}
}

// setLive empties the cache and marks it live (the listener is connected)
// or not.
func (c *pageCache) setLive(live bool) {
	c.mu.Lock()
	c.epoch++
	c.live = live
	c.entries = map[pageKey]*list.Element{}
	c.lru.Init()
	c.size = 0
	f := c.invalidated
	c.mu.Unlock()
	if f != nil {
		f(0)
	}
}

// len is the number of pages stored.
func (c *pageCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// gzipWriters are reused: a new deflate writer allocates and clears
// hundreds of KB, more than compressing a 4 KB page costs.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// newCachedPage compresses page once. Level 1 (what the compressing
// middleware uses) is what the page weighed before; higher levels save
// ~8% of 2 KB for several times the CPU on every miss.
func newCachedPage(k pageKey, path string, page []byte, now time.Time) (*cachedPage, error) {
	var buf bytes.Buffer
	buf.Grow(len(page)/2 + 64)
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(page); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(page)
	return &cachedPage{key: k, path: path, gz: buf.Bytes(),
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`, stored: now}, nil
}
