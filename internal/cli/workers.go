package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/intentrt/intentrt/internal/alert"
	"github.com/intentrt/intentrt/internal/ingest"
	"github.com/intentrt/intentrt/internal/metrics"
	"github.com/intentrt/intentrt/internal/webhook"
)

// worker is a named background task of "serve". The server starts its workers in list order
// once it listens, and at shutdown cancels their context, drains HTTP, then calls their stops
// in reverse order — all before the committer and storage close, so a worker may submit to
// the committer and read storage until its stop returns.
//
// To add one (retention purge, webhook delivery, alert evaluation…): write its start in the
// file of its feature and append it to the list in serveWorkers.
type worker struct {
	name string
	// start begins the work, bound to ctx. It returns a stop that ends the work and returns
	// once it has ended (nil when cancelling ctx is enough), or an error that stops serve.
	start func(ctx context.Context) (stop func(), err error)
}

// checkpointEvery is how often the WAL is checkpointed beside the writer: often enough that
// the WAL stays short (reads scan its index), rarely enough to cost nothing measurable.
const checkpointEvery = 250 * time.Millisecond

// serveWorkers lists the workers of "serve", in start order.
func serveWorkers(c serveConfig, db *backend, committer *ingest.Committer, hooks *webhook.Dispatcher, alerts *alert.Evaluator, m *metrics.Metrics, base string, stdout io.Writer, log *slog.Logger) []worker {
	ws := []worker{
		// Before the committer closes: messages in flight are committed and acked.
		{"nats consumer", func(ctx context.Context) (func(), error) {
			consumer, err := startNATS(ctx, c.nats, committer, c.maxEvents, m, log)
			if err != nil || consumer == nil {
				return nil, err
			}
			return consumer.Close, nil
		}},
		{"jti purge", func(ctx context.Context) (func(), error) {
			return goUntilDone(ctx, func(ctx context.Context) { purgeJTIs(ctx, db, log) }), nil
		}},
		// One delivery loop per webhook this node holds; each saves its cursor as it stops.
		{"webhook delivery", func(ctx context.Context) (func(), error) {
			return goUntilDone(ctx, hooks.Run), nil
		}},
		// Each interval, the rules over the §6 figures; one node at a time on a shared store.
		{"alert evaluation", func(ctx context.Context) (func(), error) {
			return goUntilDone(ctx, alerts.Run), nil
		}},
	}
	if db.Checkpoints != nil {
		ws = append(ws, worker{"wal checkpoints", func(ctx context.Context) (func(), error) {
			return goUntilDone(ctx, func(ctx context.Context) { db.Checkpoints.RunCheckpoints(ctx, checkpointEvery, log) }), nil
		}})
	}
	if c.demo {
		ws = append(ws, worker{"demo", func(ctx context.Context) (func(), error) {
			if err := startDemo(ctx, db, committer, base, stdout); err != nil {
				log.Error("demo", "err", err) // the server is useful without it
			}
			return nil, nil
		}})
	}
	return ws
}

// goUntilDone runs f in a goroutine and returns a stop that waits for it; f must return once
// ctx ends.
func goUntilDone(ctx context.Context, f func(ctx context.Context)) (stop func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(ctx)
	}()
	return func() { <-done }
}

// startedWorker is a worker that is running, with its stop.
type startedWorker struct {
	name string
	stop func()
}

// startWorkers starts ws in order. On an error it returns those already started, for the
// caller to stop.
func startWorkers(ctx context.Context, ws []worker, log *slog.Logger) ([]startedWorker, error) {
	var started []startedWorker
	for _, w := range ws {
		stop, err := w.start(ctx)
		if err != nil {
			return started, fmt.Errorf("start %s: %w", w.name, err)
		}
		log.Debug("worker started", "worker", w.name)
		started = append(started, startedWorker{w.name, stop})
	}
	return started, nil
}

// stopWorkers stops the started workers, last first. Their context is cancelled already.
func stopWorkers(started []startedWorker, log *slog.Logger) {
	for i := len(started) - 1; i >= 0; i-- {
		if w := started[i]; w.stop != nil {
			w.stop()
			log.Debug("worker stopped", "worker", w.name)
		}
	}
}
