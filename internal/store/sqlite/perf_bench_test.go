package sqlite_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/sqlite"
	"github.com/intentrt/intentrt/internal/store/storetest"
)

// perfStore opens a migrated store holding n completed sessions of bot "st-bot" (and as many of
// another bot), stored in big transactions.
func perfStore(b *testing.B, n int) *sqlite.Store {
	b.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "perf.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	base := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for done := 0; done < n; {
		var batches []session.Batch
		for _, bot := range []string{"st-bot", "st-other"} {
			batch := session.Batch{Account: "acct", Bot: bot}
			for i := done; i < min(done+10_000, n); i++ {
				batch.Events = append(batch.Events, perfEvent("s-", i, base.Add(time.Duration(i)*time.Second)))
			}
			batches = append(batches, batch)
		}
		if _, _, err := s.Apply(ctx, batches); err != nil {
			b.Fatal(err)
		}
		done = min(done+10_000, n)
	}
	return s
}

func perfEvent(prefix string, i int, end time.Time) session.Event {
	return session.Event{
		Type: session.TypeCompleted, SessionID: fmt.Sprintf("%s%d", prefix, i), EventID: fmt.Sprintf("e-%s%d", prefix, i),
		Time: end, Channel: "korevg", ANI: "+12605554468", DNI: "+18005550100", UserID: fmt.Sprintf("u-%d", i),
		Status: session.StatusCompleted, StartTime: end.Add(-3 * time.Minute), EndTime: end,
		Intents: []string{"Book a Flight", "Check Balance"},
	}
}

// cpuMeter reports the process's CPU time (user and system) per op from now until the
// returned function is called: on a machine shared with other work, wall-clock ns/op says more
// about the neighbours than about the code, CPU time much less so.
func cpuMeter(b *testing.B) (stop func()) {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPerfLatest is the read API's storage call: the newest 25 of 20 000 sessions of a
// bot, as the answer's bytes (LatestJSON, from the stored views), with the handler's buffer.
func BenchmarkPerfLatest(b *testing.B) {
	s := perfStore(b, 20_000)
	ctx := context.Background()
	q := session.Query{Account: "acct", Bot: "st-bot", Limit: session.DefaultLimit}
	b.ReportAllocs()
	b.ResetTimer()
	stop := cpuMeter(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body, err := s.LatestJSON(ctx, q, make([]byte, 0, 320*session.DefaultLimit+3))
			if err != nil || bytes.Count(body, []byte(`"sessionId"`)) != session.DefaultLimit {
				b.Fatalf("%d bytes, %v", len(body), err)
			}
		}
	})
	stop()
}

// BenchmarkPerfLatestRows is the same read decoded into sessions (Latest, what the dashboard
// reads) and rendered as the read API did before the views: the cost the views removed.
func BenchmarkPerfLatestRows(b *testing.B) {
	s := perfStore(b, 20_000)
	ctx := context.Background()
	q := session.Query{Account: "acct", Bot: "st-bot", Limit: session.DefaultLimit}
	b.ReportAllocs()
	b.ResetTimer()
	stop := cpuMeter(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			states, err := s.Latest(ctx, q)
			if err != nil || len(states) != session.DefaultLimit {
				b.Fatalf("%d sessions, %v", len(states), err)
			}
			body := make([]byte, 0, 320*len(states)+3)
			for i := range states {
				body = states[i].AppendViewJSON(body)
			}
		}
	})
	stop()
}

// BenchmarkPerfApplyBatch stores 1 000 new sessions in one transaction; one op is one event.
func BenchmarkPerfApplyBatch(b *testing.B) {
	s := perfStore(b, 0)
	ctx := context.Background()
	base := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += 1000 {
		batch := session.Batch{Account: "acct", Bot: "st-bot"}
		for i := done; i < min(done+1000, b.N); i++ {
			batch.Events = append(batch.Events, perfEvent("a-", i, base.Add(time.Duration(i)*time.Millisecond)))
		}
		if _, _, err := s.Apply(ctx, []session.Batch{batch}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPerfApplyOne stores one session per transaction: the cost of a commit and its fsync.
func BenchmarkPerfApplyOne(b *testing.B) {
	s := perfStore(b, 0)
	ctx := context.Background()
	base := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := range b.N {
		batch := session.Batch{Account: "acct", Bot: "st-bot", Events: []session.Event{perfEvent("o-", i, base.Add(time.Duration(i)*time.Millisecond))}}
		if _, _, err := s.Apply(ctx, []session.Batch{batch}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSummaryDay is a 24 h, 1 h-bucket summary of a bot whose last 24 h hold 1 000
// sessions, with 1 000 stored sessions in all and with 1 000 000 (the rest older than the
// previous window), and of a bot with 1 000 000 sessions within the day. The first two show
// that what is stored outside the window costs nothing; the third, what a very busy day costs.
func BenchmarkSummaryDay(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	day := now.Add(-24 * time.Hour)
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "summary.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	storetest.Load(b, s, "acct", "small", "d-", 1000, day, now)
	storetest.Load(b, s, "acct", "big", "d-", 1000, day, now)
	storetest.Load(b, s, "acct", "big", "old-", 999_000, now.Add(-365*24*time.Hour), now.Add(-49*time.Hour))
	b.Run("stored=1k", func(b *testing.B) { storetest.BenchSummary(b, s, "acct", "small", now) })
	b.Run("stored=1M", func(b *testing.B) { storetest.BenchSummary(b, s, "acct", "big", now) })
	if testing.Short() {
		return
	}
	storetest.Load(b, s, "acct", "busy", "d-", 1_000_000, day, now)
	b.Run("day=1M", func(b *testing.B) { storetest.BenchSummary(b, s, "acct", "busy", now) })
}
