// Package metrics holds the Prometheus collectors of one intentrt server, on a registry of its
// own (never the global one) so that two servers in one process, as in tests, do not collide.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is the set of collectors a server updates.
type Metrics struct {
	Registry *prometheus.Registry

	Requests        *prometheus.CounterVec
	RequestDuration *prometheus.HistogramVec
	Events          *prometheus.CounterVec
	CommitBatches   prometheus.Histogram
	CommitEvents    prometheus.Histogram
	CommitDuration  prometheus.Histogram
	CommitErrors    prometheus.Counter
	RateLimited     prometheus.Counter
	// NATSMessages counts JetStream messages by outcome: committed, invalid (terminated, never
	// redelivered) and retried (storage failed; redelivered later).
	NATSMessages *prometheus.CounterVec
}

// New registers every collector on a fresh registry.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intentrt_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "intentrt_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intentrt_ingest_events_total", Help: "Ingested events by outcome (accepted, duplicate, rejected) and source (http, nats).",
		}, []string{"outcome", "source"}),
		CommitBatches: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "intentrt_commit_requests", Help: "Ingest requests carried by one group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
		CommitEvents: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "intentrt_commit_events", Help: "Events carried by one group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 9),
		}),
		CommitDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "intentrt_commit_duration_seconds", Help: "Time to commit and sync one group commit.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		CommitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "intentrt_commit_errors_total", Help: "Group commits that failed.",
		}),
		RateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "intentrt_rate_limited_total", Help: "Read requests refused by the per-account rate limit.",
		}),
		NATSMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intentrt_nats_messages_total", Help: "NATS JetStream messages by outcome (committed, invalid, retried).",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.Requests, m.RequestDuration, m.Events, m.CommitBatches, m.CommitEvents, m.CommitDuration,
		m.CommitErrors, m.RateLimited, m.NATSMessages,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveCommit records one group commit.
func (m *Metrics) ObserveCommit(batches, events int, took time.Duration, err error) {
	if err != nil {
		m.CommitErrors.Inc()
		return
	}
	m.CommitBatches.Observe(float64(batches))
	m.CommitEvents.Observe(float64(events))
	m.CommitDuration.Observe(took.Seconds())
}
