package analytics_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/analytics/analyticstest"
)

// BenchmarkSummarizeDay is the summary path's domain cost: a 24 h window of 1 h buckets (plus
// the previous day) over a busy bot, 40 sessions a minute across channels, statuses,
// deflections and intents, combined into aggregate rows as a store would hold them.
func BenchmarkSummarizeDay(b *testing.B) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 1))
	hs := analyticstest.RandomHistories(rng, 2*1440*40, now, 48*time.Hour)
	var rows []analytics.Row
	for _, h := range hs {
		if s := h.Final(); s != nil {
			rows = append(rows, analytics.Contributions(s)...)
		}
	}
	rows, err := analytics.Combine(rows)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		body analytics.Body
	}{
		{"all", analytics.Body{Timezone: ptr("Europe/Berlin")}},
		{"channel+intent", analytics.Body{Timezone: ptr("Asia/Kolkata"), Channels: []string{"rtm"}, Intent: ptr("Refund")}},
	} {
		req, err := c.body.Resolve(now)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				s, err := analytics.Summarize(req, rows, 0, now)
				if err != nil {
					b.Fatal(err)
				}
				buf = s.AppendJSON(buf[:0])
			}
			b.ReportMetric(float64(len(rows)), "rows")
		})
	}
}
