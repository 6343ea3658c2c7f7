package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/intentrt/intentrt/internal/session"
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

// measureBatched alternates slices of producers posting batches of cfg.Batch events with
// durable acknowledgement and slices of the same rows (other session ids) applied straight to
// the store, 10 000 events per transaction: the fastest the store itself takes them.
func measureBatched(ctx context.Context, r *Report, cfg Config, d *database, srv *child, h http.Header, logf func(string, ...any)) error {
	base := srv.URL
	t0 := time.Now().Add(-30 * time.Minute)
	perTx := max(10_000/cfg.Batch, 1)
	r.Batched.Baseline = fmt.Sprintf("store.Apply, %d events per transaction, same rows", perTx*cfg.Batch)
	logf("ingest, batched: %d producers posting %d events per request, durable, vs %s; %d rounds of %s each",
		cfg.BatchConns, cfg.Batch, r.Batched.Baseline, cfg.Rounds, cfg.slice())
	tr := freshTarget(base, h, func(n int) (string, []byte) {
		bot, events := batchEvents("b-", n, cfg.Batch, cfg.Bots, t0)
		return "/api/public/bot/" + bot + "/sessionevents", body(events)
	})
	warm(tr, cfg.BatchConns)
	var (
		s         = series{pid: srv.cmd.Process.Pid}
		took      time.Duration
		next, raw int
	)
	for range cfg.Rounds {
		s.run(tr, cfg.BatchConns, cfg.slice())
		for start := time.Now(); time.Since(start) < cfg.slice(); {
			group := make([]session.Batch, 0, perTx)
			for range perTx {
				bot, events := batchEvents("r-", next, cfg.Batch, cfg.Bots, t0)
				group = append(group, session.Batch{Account: account, Bot: bot, Events: events})
				next++
			}
			applied := time.Now()
			if _, _, err := d.db.Apply(ctx, group); err != nil {
				return fmt.Errorf("baseline apply: %w", err)
			}
			took += time.Since(applied)
			raw += perTx * cfg.Batch
		}
	}
	r.Batched.HTTP = s.load()
	r.Batched.EventsPerSec = r.Batched.HTTP.Throughput * float64(cfg.Batch)
	r.Batched.BaselineEvents = raw
	r.Batched.BaselinePerSec = float64(raw) / took.Seconds()
	return nil
}

// measureSmall alternates slices of cfg.Producers producers posting one session.completed per
// request, durable, and slices of sessions stored one transaction each, sequentially, straight
// into the store.
func measureSmall(ctx context.Context, r *Report, cfg Config, d *database, srv *child, h http.Header, logf func(string, ...any)) error {
	base := srv.URL
	t0 := time.Now().Add(-20 * time.Minute)
	r.Small.Baseline = "store.Apply, one transaction per event, sequential"
	logf("ingest, small requests: %d producers, one session.completed per request, durable, vs %s; %d rounds",
		cfg.Producers, r.Small.Baseline, cfg.Rounds)
	tr := freshTarget(base, h, func(n int) (string, []byte) {
		bot, events := batchEvents("s-", n, 1, cfg.Bots, t0)
		return "/api/public/bot/" + bot + "/sessionevents", body(events)
	})
	warm(tr, cfg.Producers)
	var (
		s    = series{pid: srv.cmd.Process.Pid}
		took time.Duration
		n    int
	)
	for range cfg.Rounds {
		s.run(tr, cfg.Producers, cfg.slice())
		start := time.Now()
		for time.Since(start) < cfg.slice()/2 {
			bot, events := batchEvents("o-", n, 1, cfg.Bots, t0)
			if _, _, err := d.db.Apply(ctx, []session.Batch{{Account: account, Bot: bot, Events: events}}); err != nil {
				return fmt.Errorf("baseline apply: %w", err)
			}
			n++
		}
		took += time.Since(start)
	}
	r.Small.HTTP = s.load()
	r.Small.EventsPerSec = r.Small.HTTP.Throughput
	r.Small.BaselineEvents = n
	r.Small.BaselinePerSec = float64(n) / took.Seconds()
	return nil
}
