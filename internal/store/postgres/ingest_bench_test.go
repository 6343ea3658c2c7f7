package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/postgres"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
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
