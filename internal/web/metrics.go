package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's own series. Ingest, rule and notification metrics are registered
// on the same registry by their components.
type metrics struct {
	reg             *prometheus.Registry
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	queryDuration   *prometheus.HistogramVec
	queryLogDropped prometheus.Counter
	viewCache       *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auditlake_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "auditlake_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		queryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "auditlake_query_duration_seconds", Help: "API query run time by kind (query, view), language and outcome (ok, error).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"kind", "language", "outcome"}),
		queryLogDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "auditlake_query_log_dropped_total", Help: "Query log entries dropped because the log writer fell behind.",
		}),
		viewCache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auditlake_view_cache_requests_total", Help: "Fixed-view requests by how the answer was obtained: hit (cached), shared (joined a computation in flight) or miss (computed).",
		}, []string{"result"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.requestDuration, m.queryDuration, m.queryLogDropped, m.viewCache} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) error {
	promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorLog: nil}).ServeHTTP(w, r)
	return nil
}
