package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

// Ingest is an ingest run against its baseline.
type Ingest struct {
	HTTP           Load    `json:"http"`
	EventsPerSec   float64 `json:"eventsPerSec"`
	Baseline       string  `json:"baseline"`
	BaselineEvents int     `json:"baselineEvents"`
	BaselinePerSec float64 `json:"baselinePerSec"`
}

// batchEvents returns the events of batch n of a run: size sessions on one of the other bots.
func batchEvents(prefix string, n, size, bots int, base time.Time) (string, []session.Event) {
	bot := otherBot(n % max(bots-1, 1))
	events := make([]session.Event, size)
	for k := range events {
		i := n*size + k
		events[k] = completed(prefix, i, base.Add(time.Duration(i)*time.Millisecond))
	}
	return bot, events
}

// measureBatched posts batches of cfg.Batch events with durable acknowledgement, then applies
// as many of the same rows (other session ids) straight to the store, 10 000 events per
// transaction: the fastest the store itself can take them.
func measureBatched(ctx context.Context, r *Report, cfg Config, d *database, base string, h http.Header, logf func(string, ...any)) error {
	t0 := time.Now().Add(-30 * time.Minute)
	logf("ingest, batched: %d producers posting %d events per request, durable, %s", cfg.BatchConns, cfg.Batch, cfg.Duration)
	tr := counterTarget(func(n int) (string, []byte) {
		bot, events := batchEvents("b-", n, cfg.Batch, cfg.Bots, t0)
		return base + "/api/public/bot/" + bot + "/sessionevents", body(events)
	}, h)
	attack(tr, cfg.BatchConns, time.Second) // warm-up, with its own session ids (counter goes on)
	load := attack(tr, cfg.BatchConns, cfg.Duration)
	r.Batched.HTTP = load
	r.Batched.EventsPerSec = load.Throughput * float64(cfg.Batch)

	perTx := max(10_000/cfg.Batch, 1)
	total := max(int(r.Batched.EventsPerSec*cfg.Duration.Seconds()/4), 10*cfg.Batch)
	batches := (total + cfg.Batch - 1) / cfg.Batch
	r.Batched.Baseline = fmt.Sprintf("store.Apply, %d events per transaction, same rows", perTx*cfg.Batch)
	logf("ingest, batched baseline: %d events straight into the store, %d per transaction", batches*cfg.Batch, perTx*cfg.Batch)
	var took time.Duration
	for n := 0; n < batches; n += perTx {
		group := make([]store.Batch, 0, perTx)
		for k := n; k < min(n+perTx, batches); k++ {
			bot, events := batchEvents("r-", k, cfg.Batch, cfg.Bots, t0)
			group = append(group, store.Batch{Account: account, Bot: bot, Events: events})
		}
		start := time.Now()
		if _, _, err := d.db.Apply(ctx, group); err != nil {
			return fmt.Errorf("baseline apply: %w", err)
		}
		took += time.Since(start)
	}
	r.Batched.BaselineEvents = batches * cfg.Batch
	r.Batched.BaselinePerSec = float64(r.Batched.BaselineEvents) / took.Seconds()
	return nil
}

// measureSmall has cfg.Producers producers post one session.completed per request, durable,
// then stores sessions one transaction each, sequentially, straight into the store.
func measureSmall(ctx context.Context, r *Report, cfg Config, d *database, base string, h http.Header, logf func(string, ...any)) error {
	t0 := time.Now().Add(-20 * time.Minute)
	logf("ingest, small requests: %d producers, one session.completed per request, durable, %s", cfg.Producers, cfg.Duration)
	tr := counterTarget(func(n int) (string, []byte) {
		bot, events := batchEvents("s-", n, 1, cfg.Bots, t0)
		return base + "/api/public/bot/" + bot + "/sessionevents", body(events)
	}, h)
	attack(tr, cfg.Producers, time.Second)
	load := attack(tr, cfg.Producers, cfg.Duration)
	r.Small.HTTP = load
	r.Small.EventsPerSec = load.Throughput

	r.Small.Baseline = "store.Apply, one transaction per event, sequential"
	limit := cfg.Duration / 2
	logf("ingest, small baseline: one transaction per event, for %s", limit)
	start := time.Now()
	n := 0
	for time.Since(start) < limit {
		bot, events := batchEvents("o-", n, 1, cfg.Bots, t0)
		if _, _, err := d.db.Apply(ctx, []store.Batch{{Account: account, Bot: bot, Events: events}}); err != nil {
			return fmt.Errorf("baseline apply: %w", err)
		}
		n++
	}
	r.Small.BaselineEvents = n
	r.Small.BaselinePerSec = float64(n) / time.Since(start).Seconds()
	return nil
}
