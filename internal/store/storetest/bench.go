package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/summary"
)

// Load stores n completed sessions of one bot, ending evenly spread over [from, to), through
// Apply in transactions of 10 000 sessions: how a benchmark fills a store fast. Channels,
// statuses, deflections, intents and handling times vary as in a real contact centre, so the
// aggregate rows are as many as real traffic makes. prefix keeps session ids of several loads
// apart.
func Load(tb testing.TB, s store.Store, account, bot, prefix string, n int, from, to time.Time) {
	tb.Helper()
	// A deadline of our own: a backend's default per-operation timeout is for serving, and a
	// transaction of 10 000 sessions on a busy machine may take longer.
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	channels := []string{"rtm", "audiocodes", "korevg", "twiliovoice"}
	statuses := session.Statuses
	intents := []string{"Book a Flight", "Cancel", "Check Status", "Refund", "Talk to Agent", "Weather"}
	step := to.Sub(from) / time.Duration(max(n, 1))
	for done := 0; done < n; {
		batch := session.Batch{Account: account, Bot: bot}
		for i := done; i < min(done+10_000, n); i++ {
			end := from.Add(time.Duration(i) * step)
			h := uint64(i) * 0x9E3779B97F4A7C15 // a cheap, fixed scramble of i
			var deflected *string
			if h>>20%5 == 0 {
				deflected = &channels[h>>24%4]
			}
			var names []string
			for k := range int(h >> 28 % 3) {
				names = append(names, intents[(h>>32+uint64(k)*3)%6])
			}
			batch.Events = append(batch.Events, session.Event{
				Type: session.TypeCompleted, SessionID: fmt.Sprintf("%s%d", prefix, i), EventID: fmt.Sprintf("e-%s%d", prefix, i),
				Channel: channels[h>>8%4], ANI: "+12605554468", DNI: "+18005550100", UserID: fmt.Sprintf("u-%d", i),
				Status: statuses[h>>12%uint64(len(statuses))], DeflectedTo: deflected,
				StartTime: end.Add(-time.Duration(h>>40%900) * time.Second), EndTime: end, Intents: slices.Compact(names),
			})
		}
		if _, _, err := s.Apply(ctx, []session.Batch{batch}); err != nil {
			tb.Fatal(err)
		}
		done = min(done+10_000, n)
	}
}

// BenchSummary measures the summary a dashboard asks for most: the last 24 h in 1 h buckets,
// with the previous 24 h, computed from s's aggregates for one bot. It reports the latency's
// 99th percentile beside ns/op.
func BenchSummary(b *testing.B, s store.Store, account, bot string, now time.Time) {
	svc := &summary.Service{Source: s}
	ctx := context.Background()
	var body analytics.Body
	lat := make([]time.Duration, 0, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		sum, err := svc.Summarize(ctx, account, bot, body, now)
		lat = append(lat, time.Since(t0))
		if err != nil || len(sum.Series) != 24 {
			b.Fatalf("summary: %v (%d buckets)", err, len(sum.Series))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[(len(lat)*99+99)/100-1].Microseconds())/1000, "p99-ms")
}
