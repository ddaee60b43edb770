// Package metrics holds the Prometheus registry of a node and the HTTP,
// connection and pool collectors every node exports at /metrics on
// METRICS_ADDR (never on the public address).
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry is one node's metrics. A registry per node (not the global one)
// lets tests run several nodes in one process.
type Registry struct {
	*prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New returns a registry with Go runtime and process collectors.
func New() *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Registry{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doithoai_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "doithoai_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Middleware counts and times requests by chi route pattern (not raw path,
// which would give a series per question id).
func (m *Registry) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		route := web.RoutePattern(r)
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
		m.latency.WithLabelValues(route, r.Method).Observe(time.Since(start).Seconds())
	})
}

// RegisterPool exports pgxpool statistics.
func (m *Registry) RegisterPool(pool *pgxpool.Pool) {
	gauge := func(name, help string, f func(*pgxpool.Stat) float64) {
		m.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return f(pool.Stat()) }))
	}
	gauge("doithoai_db_pool_total_conns", "Connections in the pool.", func(s *pgxpool.Stat) float64 { return float64(s.TotalConns()) })
	gauge("doithoai_db_pool_acquired_conns", "Connections in use.", func(s *pgxpool.Stat) float64 { return float64(s.AcquiredConns()) })
	gauge("doithoai_db_pool_idle_conns", "Idle connections.", func(s *pgxpool.Stat) float64 { return float64(s.IdleConns()) })
	gauge("doithoai_db_pool_max_conns", "Pool size limit.", func(s *pgxpool.Stat) float64 { return float64(s.MaxConns()) })
	m.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "doithoai_db_pool_acquire_total", Help: "Connection acquisitions."},
		func() float64 { return float64(pool.Stat().AcquireCount()) }))
	m.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "doithoai_db_pool_empty_acquire_total", Help: "Acquisitions that had to wait for a connection."},
		func() float64 { return float64(pool.Stat().EmptyAcquireCount()) }))
}

// RegisterConnBudget exports the HTTP listener's connection budget.
func (m *Registry) RegisterConnBudget(b *web.ConnBudget) {
	m.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "doithoai_http_conns_open", Help: "HTTP connections held open, WebSockets included."},
		func() float64 { return float64(b.Open()) }))
	m.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "doithoai_http_conns_max", Help: "The HTTP connection budget (HTTP_MAX_CONNS)."},
		func() float64 { return float64(b.Max()) }))
	m.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "doithoai_http_conns_shed_total", Help: "Connections closed at accept because the budget was full of busy ones."},
		func() float64 { return float64(b.Shed()) }))
	m.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "doithoai_http_conns_evicted_total", Help: "Idle HTTP connections closed to make room for a new one."},
		func() float64 { return float64(b.Evicted()) }))
}
