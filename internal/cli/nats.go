package cli

import (
	"context"
	"flag"
	"log/slog"

	"github.com/intentrt/intentrt/internal/metrics"
	"github.com/intentrt/intentrt/internal/natsingest"
)

// natsConfig is the NATS part of serve's configuration.
type natsConfig struct {
	url, stream, prefix, durable string
}

// natsFlags registers --nats and the names of what the consumer ensures. The defaults are the
// contract's; another prefix lets deployments (or tests) share one NATS cluster.
func natsFlags(fs *flag.FlagSet, c *natsConfig) {
	fs.StringVar(&c.url, "nats", "", "NATS JetStream URL to consume session events from, e.g. nats://127.0.0.1:4222")
	fs.StringVar(&c.stream, "nats-stream", natsingest.DefaultStream, "JetStream stream the events are kept in")
	fs.StringVar(&c.prefix, "nats-prefix", natsingest.DefaultPrefix, "subject prefix: events arrive on PREFIX.<accountId>.<botId>")
	fs.StringVar(&c.durable, "nats-durable", natsingest.DefaultDurable, "durable consumer shared by every node")
}

// startNATS starts the JetStream consumer when --nats is given; without it nothing of NATS is
// touched and it returns nil.
func startNATS(ctx context.Context, c natsConfig, sub natsingest.Submitter, maxEvents int, m *metrics.Metrics, log *slog.Logger) (*natsingest.Consumer, error) {
	if c.url == "" {
		return nil, nil
	}
	consumer, err := natsingest.Start(ctx, natsingest.Options{
		URL: c.url, Stream: c.stream, Prefix: c.prefix, Durable: c.durable,
		MaxEvents: maxEvents, Submitter: sub, Metrics: m, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	m.SetNATSPending(consumer.Pending)
	return consumer, nil
}
