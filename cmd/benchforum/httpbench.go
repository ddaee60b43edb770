package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doithoai/doithoai/cmd/internal/percentile"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
)

// loadStats is one fixed-duration run of the load generator.
type loadStats struct {
	Requests int64
	Errors   int64
	Elapsed  time.Duration
	Lat      []time.Duration // sorted
	Bytes    int64
	Hits     int64 // responses the node's page cache answered (X-Page-Cache: hit)
	CPU      cpuShare
}

func (s loadStats) RPS() float64 { return float64(s.Requests) / s.Elapsed.Seconds() }

// HitRatio is the share of answered requests the node's page cache served.
func (s loadStats) HitRatio() float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.Hits) / float64(s.Requests)
}

// browserHeaders are what a browser sends for a page, minus the cookies.
func browserHeaders(h http.Header) {
	h.Set("User-Agent", "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36 benchforum")
	h.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	h.Set("Accept-Encoding", "gzip, deflate, br")
	h.Set("Accept-Language", "vi-VN,vi;q=0.9,en;q=0.8")
}

// runLoad drives conns keep-alive connections, each sending one request at
// a time (closed loop), for warmup and then dur, and measures only dur.
// It stops by itself; responses are read in full and discarded (not
// decompressed: the server's gzip cost is measured, the client's is not).
func runLoad(ctx context.Context, conns int, warmup, dur time.Duration, cpuOf func() cpuSnapshot,
	newReq func(worker int, rng *mrand.Rand) *http.Request) loadStats {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	var measuring, stopping atomic.Bool
	var errs, byteCount, hits atomic.Int64
	lats := make([][]time.Duration, conns)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(uint64(w), 42))
			lat := make([]time.Duration, 0, 1<<15)
			for !stopping.Load() && ctx.Err() == nil {
				req := newReq(w, rng).WithContext(ctx)
				t0 := time.Now()
				resp, err := client.Do(req)
				ok := false
				var n int64
				if err == nil {
					n, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					ok = err == nil && resp.StatusCode == http.StatusOK
				}
				d := time.Since(t0)
				if measuring.Load() {
					if ok {
						lat = append(lat, d)
						byteCount.Add(n)
						if resp.Header.Get("X-Page-Cache") == "hit" {
							hits.Add(1)
						}
					} else {
						errs.Add(1)
					}
				}
			}
			lats[w] = lat
		}()
	}
	sleepCtx(ctx, warmup)
	c0 := cpuOf()
	measuring.Store(true)
	t0 := time.Now()
	sleepCtx(ctx, dur)
	measuring.Store(false)
	elapsed := time.Since(t0)
	c1 := cpuOf()
	stopping.Store(true)
	wg.Wait()
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)
	return loadStats{Requests: int64(len(all)), Errors: errs.Load(), Elapsed: elapsed, Lat: all, Bytes: byteCount.Load(), Hits: hits.Load(), CPU: c0.to(c1)}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// pageResults is the page part of the report.
type pageResults struct {
	Hello, Page loadStats
	Conns       int
	Pages       int // distinct pages requested from
	// weight of a sample of pages as served (gzip) and uncompressed
	GzipMedian, GzipMax, RawMedian int
}

type pageRef struct {
	id    int64
	slug  string
	title string
}

func benchPages(ctx context.Context, o options, n *node, dbURL string, pgPID int) (*pageResults, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	// A random sample of public pages, drawn once; every request picks one.
	rows, err := conn.Query(ctx, `SELECT id, slug, title FROM forum_questions TABLESAMPLE SYSTEM (20) REPEATABLE (1)
		WHERE status IN ('published', 'answered', 'closed') AND visibility = 'public' LIMIT 100000`)
	if err != nil {
		conn.Close(ctx)
		return nil, err
	}
	pages, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pageRef, error) {
		var p pageRef
		return p, r.Scan(&p.id, &p.slug, &p.title)
	})
	conn.Close(ctx)
	if err != nil {
		return nil, err
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("no public questions to request")
	}
	res := &pageResults{Conns: o.conns, Pages: len(pages)}
	if err := checkPages(ctx, n.base, pages, res); err != nil {
		return nil, err
	}

	// Hello world: a bare chi router in this process, same generator.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("Hello, World!"))
	})
	hello := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hello.Serve(ln) }()
	helloURL := "http://" + ln.Addr().String() + "/"
	logf("page: chi hello world, %d connections, %s …", o.conns, o.duration)
	res.Hello = runLoad(ctx, o.conns, o.warmup, o.duration, func() cpuSnapshot { return takeCPU(0, 0) },
		func(_ int, _ *mrand.Rand) *http.Request {
			req, _ := http.NewRequest(http.MethodGet, helloURL, nil)
			browserHeaders(req.Header)
			return req
		})
	_ = hello.Close()
	logf("page: hello world %.0f req/s, p99 %s", res.Hello.RPS(), percentile.Sorted(res.Hello.Lat, 99))

	// Each connection is one returning browser: it holds its csrf cookie,
	// as a browser would after its first page.
	cookies := make([]string, o.conns)
	for i := range cookies {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		cookies[i] = "csrf=" + base64.RawURLEncoding.EncodeToString(b)
	}
	// Which page each request asks for: uniform over the sample, or with
	// -zipf s the k-th page of the sample k^-s as often as the first, as
	// readers crowd on the questions of the day.
	pick := func(_ int, rng *mrand.Rand) int { return rng.IntN(len(pages)) }
	if o.zipf > 1 {
		zipfs := make([]*mrand.Zipf, o.conns)
		pick = func(w int, rng *mrand.Rand) int {
			if zipfs[w] == nil {
				zipfs[w] = mrand.NewZipf(rng, o.zipf, 1, uint64(len(pages)-1))
			}
			return int(zipfs[w].Uint64())
		}
	}
	logf("page: question pages, %d connections, %s …", o.conns, o.duration)
	res.Page = runLoad(ctx, o.conns, o.warmup, o.duration, func() cpuSnapshot { return takeCPU(n.pid(), pgPID) },
		func(w int, rng *mrand.Rand) *http.Request {
			p := pages[pick(w, rng)]
			req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/cau-hoi/%d-%s", n.base, p.id, p.slug), nil)
			browserHeaders(req.Header)
			req.Header.Set("Cookie", cookies[w])
			return req
		})
	logf("page: question page %.0f req/s, p99 %s, %d errors, %.0f%% from the page cache", res.Page.RPS(), percentile.Sorted(res.Page.Lat, 99), res.Page.Errors, 100*res.Page.HitRatio())
	return res, nil
}

// checkPages fetches a sample of pages as a browser would, checks that
// each is the right question, gzip-compressed, and records their weight.
func checkPages(ctx context.Context, base string, pages []pageRef, res *pageResults) error {
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	var gz, raw []int
	for i := 0; i < 200 && i < len(pages); i++ {
		p := pages[i*len(pages)/min(200, len(pages))]
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/cau-hoi/%d-%s", base, p.id, p.slug), nil)
		browserHeaders(req.Header)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
				body, _ = io.ReadAll(zr)
			}
			return fmt.Errorf("GET /cau-hoi/%d-%s: %d %.300s", p.id, p.slug, resp.StatusCode, body)
		}
		if resp.Header.Get("Content-Encoding") != "gzip" {
			return fmt.Errorf("GET /cau-hoi/%d-%s: not gzip-compressed (Content-Encoding %q)", p.id, p.slug, resp.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return err
		}
		page, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		if !bytes.Contains(page, []byte(html.EscapeString(p.title))) {
			return fmt.Errorf("GET /cau-hoi/%d-%s: the page does not show the question's title", p.id, p.slug)
		}
		gz, raw = append(gz, len(body)), append(raw, len(page))
	}
	slices.Sort(gz)
	slices.Sort(raw)
	res.GzipMedian, res.GzipMax, res.RawMedian = gz[len(gz)/2], gz[len(gz)-1], raw[len(raw)/2]
	return nil
}
