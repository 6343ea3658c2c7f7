package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/sqlite"
)

// variedEvents are n session.completed events ending one second apart from base, with the
// channels, statuses, deflections and intents of real traffic, so that a transaction of 1 000
// touches the aggregate rows of some 17 minutes.
func variedEvents(prefix string, n int, base time.Time) []session.Event {
	channels := []string{"rtm", "audiocodes", "korevg", "twiliovoice"}
	intents := []string{"Book a Flight", "Cancel", "Check Status", "Refund", "Talk to Agent", "Weather"}
	evs := make([]session.Event, n)
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
		evs[i] = session.Event{Type: session.TypeCompleted, SessionID: fmt.Sprintf("%s%d", prefix, i), EventID: fmt.Sprintf("e-%s%d", prefix, i),
			Channel: channels[h>>8%4], ANI: "+12605554468", DNI: "+18005550100", UserID: fmt.Sprintf("u-%d", i),
			Status: session.Statuses[h>>12%4], DeflectedTo: deflected,
			Time: end, StartTime: end.Add(-time.Duration(h>>40%900) * time.Second), EndTime: end, Intents: names}
	}
	return evs
}

// BenchmarkIngestVaried commits 1 000 varied sessions per transaction; one op is one session.
// cpu-ns/op is this process's CPU per session (SQLite runs in-process), steadier than ns/op on
// a shared machine. Compare with and without the aggregates to see what keeping them costs.
func BenchmarkIngestVaried(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "ingest.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	evs := variedEvents("v-", b.N, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))
	b.ReportAllocs()
	b.ResetTimer()
	stop := cpuMeter(b)
	for done := 0; done < b.N; done += 1000 {
		if _, _, err := s.Apply(ctx, []session.Batch{{Account: "acct", Bot: "st-bot", Events: evs[done:min(done+1000, b.N)]}}); err != nil {
			b.Fatal(err)
		}
	}
	stop()
}
