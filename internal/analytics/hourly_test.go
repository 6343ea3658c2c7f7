package analytics_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/analytics/analyticstest"
)

// TestSummarizeHourlyRows checks the reasoning that lets a store answer from hourly roll-ups:
// for every request that is HourAligned, Summarize over Hourly(rows) equals the brute force
// (and so Summarize over the minute rows); for requests that are not, the roll-ups would
// sometimes be wrong — which is why a store reads the minute rows for those.
func TestSummarizeHourlyRows(t *testing.T) {
	now := time.Date(2026, 10, 26, 9, 17, 23, 0, time.UTC) // just after Europe's fall-back
	var aligned, unaligned, wrongUnaligned int
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 17))
		span := []time.Duration{6 * time.Hour, 3 * 24 * time.Hour}[seed%2]
		hs := analyticstest.RandomHistories(rng, 300, now, span)
		table := analyticstest.Table{}
		for _, st := range analyticstest.Interleave(rng, hs) {
			if err := table.Apply(analytics.Delta(st.Before, st.After)); err != nil {
				t.Fatal(err)
			}
		}
		rows := table.Rows()
		hourly, err := analytics.Hourly(rows)
		if err != nil {
			t.Fatal(err)
		}
		checkRollUp(t, rows, hourly)
		final := analyticstest.Finals(hs)
		for q := range 20 {
			body := analyticstest.RandomBody(rng, now, span)
			if q%2 == 0 { // half the requests as the dashboard's day and week views ask
				b, z := []string{"1h", "1d"}[rng.IntN(2)], []string{"UTC", "Europe/Berlin", "America/New_York"}[rng.IntN(3)]
				body.Bucket, body.Timezone = &b, &z
			}
			req, err := body.Resolve(now)
			if err != nil {
				t.Fatal(err)
			}
			want := analyticstest.BruteForce(req, final, now)
			got, err := analytics.Summarize(req, hourly, want.InProgress, now)
			if err != nil {
				t.Fatal(err)
			}
			diff := analyticstest.Compare(&got, &want)
			switch {
			case req.HourAligned() && diff != nil:
				t.Fatalf("seed %d query %d (%s %s %s–%s): hourly rows differ from brute force: %v", seed, q, req.Bucket, req.Zone, req.From, req.To, diff)
			case req.HourAligned():
				aligned++
			default:
				unaligned++
				if diff != nil {
					wrongUnaligned++
				}
			}
		}
	}
	if aligned < 150 || unaligned < 50 || wrongUnaligned == 0 {
		t.Fatalf("%d hour-aligned requests, %d others of which %d would be wrong from hourly rows: the generator misses a case",
			aligned, unaligned, wrongUnaligned)
	}
	t.Logf("%d hour-aligned requests; %d others, %d of which hourly rows would answer wrongly", aligned, unaligned, wrongUnaligned)
}

// checkRollUp: every hourly row starts an hour and holds the sum of its minute rows.
func checkRollUp(t *testing.T, rows, hourly []analytics.Row) {
	t.Helper()
	sums := map[analytics.Key]int64{}
	for _, r := range rows {
		k := r.Key
		k.Minute = analytics.HourOf(k.Minute)
		sums[k] += r.Sessions
	}
	if len(sums) != len(hourly) {
		t.Fatalf("%d hourly rows, want %d", len(hourly), len(sums))
	}
	for _, h := range hourly {
		if h.Minute%60 != 0 || sums[h.Key] != h.Sessions || h.Sessions <= 0 {
			t.Fatalf("hourly row %+v: sessions %d, want %d", h.Key, h.Sessions, sums[h.Key])
		}
	}
}

func TestHourOf(t *testing.T) {
	for m, want := range map[int64]int64{0: 0, 59: 0, 60: 60, 119: 60, -1: -60, -60: -60, -61: -120} {
		if got := analytics.HourOf(m); got != want {
			t.Errorf("HourOf(%d) = %d, want %d", m, got, want)
		}
	}
}
