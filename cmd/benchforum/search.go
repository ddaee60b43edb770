package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/doithoai/doithoai/cmd/internal/percentile"
	"github.com/doithoai/doithoai/forum"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/vntext"
)

// commonQueries are what most people type: frequent words, unaccented or
// not. "dat" alone is in roughly a third of the questions.
var commonQueries = []string{
	"dat", "ho ngheo", "bao hiem y te", "dat dai", "giay chung nhan", "hoc bong", "duong giao thong",
	"tro cap", "boi thuong", "tai dinh cu", "nuoc sach", "hoc phi", "khai sinh", "dien luoi",
	"bảo hiểm y tế", "hộ nghèo", "đất đai", "học bổng",
}

// rareQueries are the rare place names of the generator, typed unaccented.
func rareQueries() []string {
	var qs []string
	for _, p := range rarePlaces {
		qs = append(qs, vntext.Fold(p))
	}
	return append(qs, "xa lung cu", "glei")
}

type searchStats struct {
	Set, Via string
	Lat      []time.Duration // sorted
	MeanHits float64
	Slowest  []queryLatency // the queries with the highest median, slowest first
}

type queryLatency struct {
	Query string
	P50   time.Duration
}

func benchSearch(ctx context.Context, o options, n *node, dbURL string) ([]searchStats, error) {
	pool, err := db.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	store := forum.NewStore(pool)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	direct := func(q string) (int, error) {
		res, err := store.Search(ctx, q, 20, 0)
		return len(res), err
	}
	api := func(q string) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n.base+"/api/v1/search?q="+url.QueryEscape(q), nil)
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var body struct {
			Results []json.RawMessage `json:"results"`
		}
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			return 0, fmt.Errorf("GET /api/v1/search?q=%s: %d %.200s", q, resp.StatusCode, b)
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return 0, err
		}
		return len(body.Results), nil
	}

	var out []searchStats
	for _, set := range []struct {
		name    string
		queries []string
	}{{"common", commonQueries}, {"rare", rareQueries()}} {
		for _, via := range []struct {
			name string
			do   func(string) (int, error)
		}{{"forum.Store.Search", direct}, {"GET /api/v1/search", api}} {
			// Warm up: each query once, unmeasured.
			for _, q := range set.queries {
				if _, err := via.do(q); err != nil {
					return nil, err
				}
			}
			rng := mrand.New(mrand.NewPCG(7, 7))
			st := searchStats{Set: set.name, Via: via.name}
			hits := 0
			byQuery := map[string][]time.Duration{}
			for range o.queries {
				q := set.queries[rng.IntN(len(set.queries))]
				t0 := time.Now()
				h, err := via.do(q)
				if err != nil {
					return nil, err
				}
				d := time.Since(t0)
				st.Lat = append(st.Lat, d)
				byQuery[q] = append(byQuery[q], d)
				hits += h
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
			}
			slices.Sort(st.Lat)
			st.MeanHits = float64(hits) / float64(o.queries)
			for q, ls := range byQuery {
				slices.Sort(ls)
				st.Slowest = append(st.Slowest, queryLatency{q, percentile.Sorted(ls, 50)})
			}
			slices.SortFunc(st.Slowest, func(a, b queryLatency) int { return cmp.Compare(b.P50, a.P50) })
			st.Slowest = st.Slowest[:min(3, len(st.Slowest))]
			if set.name == "rare" && hits == 0 {
				return nil, fmt.Errorf("rare queries found nothing: the generator's rare places are not searchable")
			}
			logf("search: %s via %s: p50 %s, p95 %s; slowest medians %v", st.Set, st.Via, percentile.Sorted(st.Lat, 50), percentile.Sorted(st.Lat, 95), st.Slowest)
			out = append(out, st)
		}
	}
	return out, nil
}
