package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/postgres"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/store/storetest"
)

// BenchmarkIngestVaried commits 1 000 sessions per transaction, ending one second apart with
// the channels, statuses, deflections and intents of real traffic; one op is one session.
// Compare with and without the aggregates to see what keeping them costs.
func BenchmarkIngestVaried(b *testing.B) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.DSN(b), postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	channels := []string{"rtm", "audiocodes", "korevg", "twiliovoice"}
	intents := []string{"Book a Flight", "Cancel", "Check Status", "Refund", "Talk to Agent", "Weather"}
	base := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	evs := make([]session.Event, b.N)
	for i := range evs {
		end := base.Add(time.Duration(i) * time.Second)
		h := uint64(i) * 0x9E3779B97F4A7C15
		var deflected *string
		if h>>20%5 == 0 {
			deflected = &channels[h>>24%4]
		}
		var names []string
		for k := range int(h >> 28 % 3) {
			if name := intents[(h>>32+uint64(k)*3)%6]; len(names) == 0 || names[0] != name {
				names = append(names, name)
			}
		}
		evs[i] = session.Event{Type: session.TypeCompleted, SessionID: fmt.Sprintf("v-%d", i), EventID: fmt.Sprintf("e-v-%d", i),
			Channel: channels[h>>8%4], ANI: "+12605554468", DNI: "+18005550100", UserID: fmt.Sprintf("u-%d", i),
			Status: session.Statuses[h>>12%4], DeflectedTo: deflected,
			StartTime: end.Add(-time.Duration(h>>40%900) * time.Second), EndTime: end, Intents: names}
	}
	b.ResetTimer()
	for done := 0; done < b.N; done += 1000 {
		if _, _, err := s.Apply(ctx, []session.Batch{{Account: "acct", Bot: "st-bot", Events: evs[done:min(done+1000, b.N)]}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSummaryDay is a 24 h, 1 h-bucket summary of a bot whose last 24 h hold 1 000
// sessions, with 1 000 stored sessions in all and with 1 000 000 (the rest older than the
// previous window); without -short also of a bot with 1 000 000 sessions within the day.
func BenchmarkSummaryDay(b *testing.B) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.DSN(b), postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	day := now.Add(-24 * time.Hour)
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
