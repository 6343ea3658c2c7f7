// Package metrics holds the Prometheus collectors of one intentrt server, on a registry of its
// own (never the global one) so that two servers in one process, as in tests, do not collide.
package metrics

import (
	"sync/atomic"
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
	// ConnectionsRefused counts connections reset at accept because --max-conns were open.
	ConnectionsRefused prometheus.Counter
	// ConnectionsEvicted counts quiet connections (silent or idle) closed to make room for new ones.
	ConnectionsEvicted prometheus.Counter
	// AuthThrottled counts requests refused because their address failed authentication too often.
	AuthThrottled prometheus.Counter
	// NATSMessages counts JetStream messages by outcome: committed, invalid (terminated, never
	// redelivered) and retried (storage failed; redelivered later).
	NATSMessages *prometheus.CounterVec
	// VisibleLag is, per ingested batch, the time from its arrival at the committer to its
	// commit being readable through the read API and handed to the stream.
	VisibleLag prometheus.Histogram
	// WebhookDeliveries counts delivery attempts by webhook and outcome (delivered, failed,
	// dead_lettered); WebhookPending and WebhookOldestPending are each webhook's undelivered
	// changes and the age of the oldest, on the node delivering it; WebhookLatency is the time
	// from a change being read from the feed to its receiver answering 2xx.
	WebhookDeliveries    *prometheus.CounterVec
	WebhookPending       *prometheus.GaugeVec
	WebhookOldestPending *prometheus.GaugeVec
	WebhookLatency       prometheus.Histogram
	// AlertEvaluations counts rule evaluations by outcome (ok, firing, error); AlertEvents the
	// transitions announced, by state (firing, resolved).
	AlertEvaluations *prometheus.CounterVec
	AlertEvents      *prometheus.CounterVec

	streamSubscribers gaugeHook
	openConns         gaugeHook
	natsPending       gaugeHook
}

// gaugeHook is a gauge whose value another package supplies when it is ready to: the function
// is read at each scrape, and the gauge is 0 until one is set.
type gaugeHook struct {
	f atomic.Pointer[func() float64]
}

func (g *gaugeHook) set(f func() float64) { g.f.Store(&f) }

func (g *gaugeHook) value() float64 {
	if f := g.f.Load(); f != nil {
		return (*f)()
	}
	return 0
}

// SetStreamSubscribers makes the intentrt_stream_subscribers gauge report n() at each scrape
// (the live broker's count of open subscriptions: streams and dashboards).
func (m *Metrics) SetStreamSubscribers(n func() int) {
	m.streamSubscribers.set(func() float64 { return float64(n()) })
}

// SetOpenConnections makes the intentrt_connections_open gauge report n() at each scrape.
func (m *Metrics) SetOpenConnections(n func() int64) {
	m.openConns.set(func() float64 { return float64(n()) })
}

// SetNATSPending makes the intentrt_nats_consumer_pending_messages gauge report n() at each
// scrape: the messages of the JetStream consumer not yet delivered to this server, its lag.
func (m *Metrics) SetNATSPending(n func() float64) { m.natsPending.set(n) }

// ObserveVisible records how long an ingested batch took to become visible.
func (m *Metrics) ObserveVisible(lag time.Duration) { m.VisibleLag.Observe(lag.Seconds()) }

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
		ConnectionsRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "intentrt_connections_refused_total", Help: "Connections reset at accept because the connection limit (--max-conns) was reached.",
		}),
		ConnectionsEvicted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "intentrt_connections_evicted_total", Help: "Silent or idle connections closed to make room for new ones at the connection limit (--max-conns).",
		}),
		AuthThrottled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "intentrt_auth_throttled_total", Help: "Requests refused (429) because their client address failed authentication too often.",
		}),
		NATSMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intentrt_nats_messages_total", Help: "NATS JetStream messages by outcome (committed, invalid, retried).",
		}, []string{"outcome"}),
	}
	m.VisibleLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "intentrt_ingest_visible_lag_seconds", Help: "Time from an ingest batch's arrival at the committer to its sessions being readable and streamed.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	streamSubs := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "intentrt_stream_subscribers", Help: "Open live subscriptions (streams and dashboards).",
	}, m.streamSubscribers.value)
	natsPending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "intentrt_nats_consumer_pending_messages", Help: "Messages of the NATS JetStream consumer not yet delivered to this server (0 without --nats).",
	}, m.natsPending.value)
	m.WebhookDeliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "intentrt_webhook_deliveries_total", Help: "Webhook delivery attempts by webhook and outcome (delivered, failed, dead_lettered).",
	}, []string{"webhook", "outcome"})
	m.WebhookPending = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "intentrt_webhook_pending", Help: "Changes not yet delivered to a webhook (reported by the node delivering it).",
	}, []string{"webhook"})
	m.WebhookOldestPending = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "intentrt_webhook_oldest_pending_seconds", Help: "How long the oldest undelivered change of a webhook has waited since it was read from the feed.",
	}, []string{"webhook"})
	m.WebhookLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "intentrt_webhook_delivery_latency_seconds", Help: "Time from a change being read from the feed to its webhook's receiver answering 2xx.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60},
	})
	m.AlertEvaluations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "intentrt_alert_evaluations_total", Help: "Alert rule evaluations by outcome (ok, firing, error).",
	}, []string{"outcome"})
	m.AlertEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "intentrt_alert_events_total", Help: "Alert transitions announced, by state (firing, resolved).",
	}, []string{"state"})
	reg.MustRegister(m.WebhookDeliveries, m.WebhookPending, m.WebhookOldestPending, m.WebhookLatency, m.AlertEvaluations, m.AlertEvents)
	openConns := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "intentrt_connections_open", Help: "Client connections held now (at most --max-conns).",
	}, m.openConns.value)
	reg.MustRegister(m.VisibleLag, streamSubs, natsPending, openConns)
	reg.MustRegister(m.Requests, m.RequestDuration, m.Events, m.CommitBatches, m.CommitEvents, m.CommitDuration,
		m.CommitErrors, m.RateLimited, m.ConnectionsRefused, m.ConnectionsEvicted, m.AuthThrottled, m.NATSMessages,
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
