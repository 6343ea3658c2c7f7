package cli

import (
	"flag"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/intentrt/intentrt/internal/alert"
	"github.com/intentrt/intentrt/internal/metrics"
	"github.com/intentrt/intentrt/internal/webhook"
)

// webhooksConfig is how "serve" delivers webhooks.
type webhooksConfig struct {
	allowPrivate bool
	retry        time.Duration
	deadAfter    time.Duration
	timeout      time.Duration
	// alertInterval is how often alert rules are evaluated.
	alertInterval time.Duration
}

func webhooksFlags(fs *flag.FlagSet, c *webhooksConfig) {
	fs.BoolVar(&c.allowPrivate, "webhooks-allow-private", false, "deliver webhooks to loopback, private, link-local and other non-public addresses too (on-premises receivers, tests)")
	fs.DurationVar(&c.retry, "webhooks-retry", time.Second, "delay before a failed webhook delivery's first retry; it doubles with each attempt (with jitter) up to 10m")
	fs.DurationVar(&c.deadAfter, "webhooks-dead-after", 24*time.Hour, "how long a receiver may keep failing before the deliveries that waited that long are dead-lettered")
	fs.DurationVar(&c.timeout, "webhooks-timeout", webhook.Timeout, "bound on one webhook delivery attempt")
	fs.DurationVar(&c.alertInterval, "alert-interval", time.Minute, "how often alert rules are evaluated")
}

func (c webhooksConfig) check() error {
	if c.retry <= 0 || c.deadAfter <= 0 || c.timeout <= 0 || c.alertInterval <= 0 {
		return &usageError{"serve: --webhooks-retry, --webhooks-dead-after, --webhooks-timeout and --alert-interval must be > 0"}
	}
	return nil
}

// newDispatcher builds the webhook dispatcher of a server; a worker runs it.
func newDispatcher(c webhooksConfig, db *backend, m *metrics.Metrics, p *webhook.Pressure, log *slog.Logger) *webhook.Dispatcher {
	return webhook.NewDispatcher(webhook.Options{
		Store: db, Leaser: db.Leases, Node: uuid.NewString(), AllowPrivate: c.allowPrivate,
		RetryBase: c.retry, DeadAfter: c.deadAfter, Timeout: c.timeout, Log: log, Pressure: p,
		Observer: webhook.Observer{
			Delivery: func(id, outcome string, n int64) { m.WebhookDeliveries.WithLabelValues(id, outcome).Add(float64(n)) },
			Pending: func(id string, n int64, oldest time.Duration) {
				m.WebhookPending.WithLabelValues(id).Set(float64(n))
				m.WebhookOldestPending.WithLabelValues(id).Set(oldest.Seconds())
			},
			Gone: func(id string) {
				m.WebhookPending.DeleteLabelValues(id)
				m.WebhookOldestPending.DeleteLabelValues(id)
			},
			Latency: func(d time.Duration) { m.WebhookLatency.Observe(d.Seconds()) },
		},
	})
}

// newEvaluator builds the alert evaluator of a server; a worker runs it. A transition wakes the
// webhooks at once.
func newEvaluator(c webhooksConfig, db *backend, sum alert.Summarizer, hooks *webhook.Dispatcher, m *metrics.Metrics, log *slog.Logger) *alert.Evaluator {
	var leaser alert.Leaser
	if db.Leases != nil {
		leaser = db.Leases
	}
	return alert.NewEvaluator(alert.Options{
		Store: db, Summary: sum, Leaser: leaser, Node: uuid.NewString(), Interval: c.alertInterval, Notify: hooks.Kick, Log: log,
		Evaluated:  func(outcome string) { m.AlertEvaluations.WithLabelValues(outcome).Inc() },
		Transition: func(state string) { m.AlertEvents.WithLabelValues(state).Inc() },
	})
}
