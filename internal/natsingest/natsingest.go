// Package natsingest consumes session events from NATS JetStream and commits them through the
// same group committer as the HTTP ingest API. A message on "<prefix>.<accountId>.<botId>" holds
// one event or a JSON array of events; it is acknowledged only once its events are committed, so
// a crash before the commit means a redelivery, never a loss (and idempotency makes the
// redelivery harmless). Every node shares one durable consumer, so each message is applied once.
package natsingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/intentrt/intentrt/internal/ingest"
	"github.com/intentrt/intentrt/internal/metrics"
	"github.com/intentrt/intentrt/internal/session"
)

// The names the contract fixes; Options may override them (to share a NATS cluster between
// deployments, or in tests).
const (
	DefaultStream  = "INTENTRT_EVENTS"
	DefaultPrefix  = "intentrt.events"
	DefaultDurable = "intentrt"
	// StreamMaxAge is how long a stream created by intentrt keeps messages, acknowledged or
	// not: long enough to replay a week into a rebuilt database, short enough to bound disk.
	StreamMaxAge = 7 * 24 * time.Hour
)

// Submitter durably stores a batch (an *ingest.Committer).
type Submitter interface {
	Submit(ctx context.Context, b session.Batch) (session.Result, error)
}

// Options configure a consumer.
type Options struct {
	URL     string
	Stream  string // DefaultStream when empty
	Prefix  string // subject prefix, DefaultPrefix when empty
	Durable string // DefaultDurable when empty
	// MaxEvents bounds the events of one message, as the HTTP API bounds a request.
	MaxEvents int
	// Workers is how many messages are committed at once; concurrent submissions share group
	// commits, so this is what makes NATS ingest as cheap per event as HTTP ingest.
	Workers int
	// RetryDelay is how long a message whose commit failed waits before its redelivery.
	RetryDelay time.Duration
	Submitter  Submitter
	Metrics    *metrics.Metrics // may be nil
	Logger     *slog.Logger     // may be nil
}

// Consumer is a running JetStream consumer.
type Consumer struct {
	opts    Options
	nc      *nats.Conn
	cancel  context.CancelFunc
	done    chan struct{}
	pending atomic.Int64 // the consumer's lag as last read from the server
}

// Pending returns the messages of the stream not yet delivered to the consumer, as last read
// from the server (every few seconds): the consumer's lag, for the metrics.
func (c *Consumer) Pending() float64 { return float64(c.pending.Load()) }

// watchLag reads the consumer's lag now and then until ctx ends. It asks the server (one small
// request) rather than counting locally, because several nodes share the consumer.
func (c *Consumer) watchLag(ctx context.Context, cons jetstream.Consumer) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if info, err := cons.Info(ictx); err == nil {
			c.pending.Store(int64(info.NumPending))
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Start connects to NATS and consumes in the background until Close. It does not wait for NATS:
// when the server is down, the connection and the stream are retried until it comes back, and the
// HTTP API is unaffected meanwhile.
func Start(ctx context.Context, opts Options) (*Consumer, error) {
	if opts.Stream == "" {
		opts.Stream = DefaultStream
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.Durable == "" {
		opts.Durable = DefaultDurable
	}
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Submitter == nil {
		return nil, errors.New("natsingest: no submitter")
	}
	log := opts.Logger
	nc, err := nats.Connect(opts.URL,
		nats.Name("intentrt"),
		nats.RetryOnFailedConnect(true), // start even while NATS is down
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond),
		nats.DisconnectErrHandler(func(c *nats.Conn, err error) {
			if c.IsClosed() { // Close on shutdown, not a lost connection: nothing to warn about
				return
			}
			log.Warn("nats: disconnected", "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats: reconnected", "url", c.ConnectedUrlRedacted()) }),
	)
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &Consumer{opts: opts, nc: nc, cancel: cancel, done: make(chan struct{})}
	go c.run(ctx)
	return c, nil
}

// Close stops taking messages, waits for those being committed, and disconnects. Messages
// already pulled but not started are negative-acked, so another node takes them at once.
func (c *Consumer) Close() {
	c.cancel()
	<-c.done
	c.nc.Close()
}

// run (re)establishes the stream, the consumer and the pull subscription until ctx ends.
func (c *Consumer) run(ctx context.Context) {
	defer close(c.done)
	msgs := make(chan jetstream.Msg)
	var wg sync.WaitGroup
	for range c.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range msgs {
				c.handle(m)
			}
		}()
	}
	defer wg.Wait()
	defer close(msgs)
	backoff := 250 * time.Millisecond
	for ctx.Err() == nil {
		err := c.consume(ctx, msgs, func() { backoff = 250 * time.Millisecond })
		if ctx.Err() != nil {
			return
		}
		c.opts.Logger.Warn("nats: consumer interrupted; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (c *Consumer) consume(ctx context.Context, msgs chan<- jetstream.Msg, ready func()) error {
	js, err := jetstream.New(c.nc)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// A stream the operator created (replicas, retention, limits of their choosing) is used as
	// it is; only a missing one is created, with defaults fit for one server.
	if _, err := js.Stream(sctx, c.opts.Stream); errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(sctx, jetstream.StreamConfig{
			Name:     c.opts.Stream,
			Subjects: []string{c.opts.Prefix + ".>"},
			Storage:  jetstream.FileStorage,
			MaxAge:   StreamMaxAge,
		})
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another node was first
			return fmt.Errorf("create stream %s: %w", c.opts.Stream, err)
		}
	} else if err != nil {
		return fmt.Errorf("look up stream %s: %w", c.opts.Stream, err)
	}
	cons, err := js.CreateOrUpdateConsumer(sctx, c.opts.Stream, jetstream.ConsumerConfig{
		Durable:       c.opts.Durable,
		AckPolicy:     jetstream.AckExplicitPolicy,
		FilterSubject: c.opts.Prefix + ".>",
		AckWait:       30 * time.Second,
		MaxDeliver:    -1, // a storage outage must not exhaust redeliveries: nothing acknowledged is lost
	})
	if err != nil {
		return fmt.Errorf("ensure consumer %s: %w", c.opts.Durable, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4 * c.opts.Workers))
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	// On shutdown, drain rather than stop: the messages already pulled are still handed out
	// below and either committed or negative-acked, so another node takes them at once instead
	// of after the ack wait.
	stop := context.AfterFunc(ctx, it.Drain)
	defer stop()
	defer it.Stop()
	lagCtx, stopLag := context.WithCancel(ctx)
	defer stopLag()
	go c.watchLag(lagCtx, cons)
	c.opts.Logger.Info("nats: consuming", "stream", c.opts.Stream, "subjects", c.opts.Prefix+".>", "durable", c.opts.Durable)
	ready()
	for {
		m, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrNoHeartbeat) {
				continue // the connection is down; the client resubscribes once it is back
			}
			return err
		}
		select {
		case msgs <- m:
		case <-ctx.Done():
			_ = m.Nak() // not started: let another node take it now
			return ctx.Err()
		}
	}
}

// handle commits one message and settles it: ack after the commit, terminate when it can never
// be valid, negative-ack with a delay when storage failed.
func (c *Consumer) handle(m jetstream.Msg) {
	account, bot, err := c.parseSubject(m.Subject())
	var events []session.Event
	if err == nil {
		events, err = session.DecodeJSON(m.Data(), c.opts.MaxEvents)
	}
	if err != nil {
		c.count("invalid")
		c.event("rejected", 1)
		c.opts.Logger.Warn("nats: invalid message terminated", "subject", m.Subject(), "err", err)
		if terr := m.Term(); terr != nil {
			c.opts.Logger.Warn("nats: terminate", "subject", m.Subject(), "err", terr)
		}
		return
	}
	if len(events) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res, err := c.opts.Submitter.Submit(ctx, session.Batch{Account: account, Bot: bot, Events: events})
		cancel()
		if err != nil {
			c.count("retried")
			delay := c.opts.RetryDelay
			if errors.Is(err, ingest.ErrClosed) {
				delay = 0 // shutting down: another node may take it at once
			}
			c.opts.Logger.Warn("nats: commit failed; message will be redelivered", "subject", m.Subject(), "err", err, "in", delay)
			if nerr := m.NakWithDelay(delay); nerr != nil {
				c.opts.Logger.Warn("nats: nak", "subject", m.Subject(), "err", nerr)
			}
			return
		}
		c.event("accepted", res.Accepted)
		c.event("duplicate", res.Duplicates)
		c.event("expired", res.Expired)
	}
	// A lost ack means a redelivery, which idempotency turns into duplicates.
	if err := m.Ack(); err != nil {
		c.opts.Logger.Warn("nats: ack", "subject", m.Subject(), "err", err)
	}
	c.count("committed")
}

// parseSubject reads "<prefix>.<accountId>.<botId>". NATS tokens cannot hold dots, so ids with
// dots cannot travel this way; they are refused rather than split at the wrong place.
func (c *Consumer) parseSubject(subject string) (account, bot string, err error) {
	rest, ok := strings.CutPrefix(subject, c.opts.Prefix+".")
	parts := strings.Split(rest, ".")
	if !ok || len(parts) != 2 {
		return "", "", fmt.Errorf("subject %q: want %s.<accountId>.<botId>", subject, c.opts.Prefix)
	}
	if !session.ValidID(parts[0]) || !session.ValidID(parts[1]) {
		return "", "", fmt.Errorf("subject %q: ids must be 1-128 printable characters", subject)
	}
	return parts[0], parts[1], nil
}

func (c *Consumer) count(outcome string) {
	if c.opts.Metrics != nil {
		c.opts.Metrics.NATSMessages.WithLabelValues(outcome).Inc()
	}
}

func (c *Consumer) event(outcome string, n int) {
	if c.opts.Metrics != nil && n > 0 {
		c.opts.Metrics.Events.WithLabelValues(outcome, "nats").Add(float64(n))
	}
}
