package retention_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/ingest"
	"github.com/intentrt/intentrt/internal/retention"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/postgres"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/store/sqlite"
	"github.com/intentrt/intentrt/internal/store/storetest"
)

// expiredSessions is how many expired sessions the benchmarks purge while ingest runs.
const expiredSessions = 200_000

// BenchmarkPurgeDuringIngestSQLite measures the purge of 200 000 expired sessions (with their
// aggregates and seen keys) while producers ingest through the committer, which shares the one
// write connection with the purge: the purge rate, and the ingest latency's 99th percentile
// without a purge and during it. go test -run X -bench PurgeDuringIngest -benchtime 1x ./internal/retention/
func BenchmarkPurgeDuringIngestSQLite(b *testing.B) {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "purge.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	benchPurge(b, s)
}

// BenchmarkPurgeDuringIngestPostgres is the same on PostgreSQL (INTENTRT_TEST_POSTGRES).
func BenchmarkPurgeDuringIngestPostgres(b *testing.B) {
	if os.Getenv("INTENTRT_TEST_POSTGRES") == "" {
		b.Skip("INTENTRT_TEST_POSTGRES not set")
	}
	s, err := postgres.Open(context.Background(), pgtest.DSN(b), postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	benchPurge(b, s)
}

func benchPurge(b *testing.B, s store.Store) {
	now := time.Now()
	storetest.Load(b, s, "acct", "st-old", "old-", expiredSessions, now.Add(-60*24*time.Hour), now.Add(-40*24*time.Hour))
	c := ingest.NewCommitter(s, ingest.Options{})
	defer c.Close()
	policy := &retention.Policy{Default: 30 * 24 * time.Hour}
	for range b.N {
		base := ingestFor(b, c, 5*time.Second, nil)
		var (
			purged int
			took   time.Duration
		)
		during := ingestFor(b, c, 0, func() {
			p := &retention.Purger{Store: s, Policy: policy, Batch: 500, Pause: 20 * time.Millisecond, // as serve runs it
				Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			start := time.Now()
			n, _, err := p.Round(context.Background())
			if err != nil {
				b.Error(err)
			}
			purged, took = n, time.Since(start)
		})
		if purged != expiredSessions {
			b.Fatalf("purged %d, want %d", purged, expiredSessions)
		}
		b.ReportMetric(float64(purged)/took.Seconds(), "purged/s")
		b.ReportMetric(float64(base.p99.Microseconds())/1000, "ingest-p99-ms-idle")
		b.ReportMetric(float64(during.p99.Microseconds())/1000, "ingest-p99-ms-purging")
		b.ReportMetric(float64(during.p50.Microseconds())/1000, "ingest-p50-ms-purging")
		b.Logf("purged %d sessions in %s; ingest idle p50 %s p99 %s (%d req); during the purge p50 %s p99 %s (%d req)",
			purged, took.Round(time.Millisecond), base.p50, base.p99, base.n, during.p50, during.p99, during.n)
	}
}

type latencies struct {
	p50, p99 time.Duration
	n        int
}

var seq atomic.Int64

// ingestFor runs 4 producers submitting batches of 10 fresh completed sessions until d passes
// (or, with work, until work returns) and returns the Submit latencies.
func ingestFor(b *testing.B, c *ingest.Committer, d time.Duration, work func()) latencies {
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu  sync.Mutex
		all []time.Duration
		wg  sync.WaitGroup
	)
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				batch := session.Batch{Account: "acct", Bot: fmt.Sprintf("st-new-%d", p)}
				end := time.Now()
				for range 10 {
					i := seq.Add(1)
					batch.Events = append(batch.Events, session.Event{Type: session.TypeCompleted, SessionID: fmt.Sprintf("n%d", i),
						EventID: fmt.Sprintf("n%d", i), Channel: "rtm", Status: session.Statuses[i%3], Time: end,
						StartTime: end.Add(-time.Minute), EndTime: end})
				}
				start := time.Now()
				if _, err := c.Submit(context.Background(), batch); err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				all = append(all, time.Since(start))
				mu.Unlock()
			}
		}()
	}
	if work != nil {
		work()
	} else {
		time.Sleep(d)
	}
	cancel()
	wg.Wait()
	slices.Sort(all)
	if len(all) == 0 {
		return latencies{}
	}
	return latencies{p50: all[len(all)/2], p99: all[len(all)*99/100], n: len(all)}
}
