package analytics_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/analytics/analyticstest"
	"github.com/intentrt/intentrt/internal/session"
)

// TestSummarizeMatchesBruteForce commits random session histories as deltas in a random
// interleaving, then checks summaries of random requests against the brute force.
func TestSummarizeMatchesBruteForce(t *testing.T) {
	now := time.Date(2026, 10, 26, 9, 17, 23, 0, time.UTC) // just after Europe's fall-back
	var nonEmpty, queries int
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		span := []time.Duration{2 * time.Hour, 3 * 24 * time.Hour, 400 * 24 * time.Hour}[seed%3]
		hs := analyticstest.RandomHistories(rng, 300, now, span)
		table := analyticstest.Table{}
		for _, st := range analyticstest.Interleave(rng, hs) {
			if err := table.Apply(analytics.Delta(st.Before, st.After)); err != nil {
				t.Fatal(err)
			}
		}
		final := analyticstest.Finals(hs)
		rows := table.Rows() // in key order, minute first, as a store reads them
		if seed%2 == 1 {     // in any order: Summarize must not depend on it
			rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		}
		for q := range 15 {
			body := analyticstest.RandomBody(rng, now, span)
			req, err := body.Resolve(now)
			if err != nil {
				t.Fatalf("seed %d query %d: %v", seed, q, err)
			}
			want := analyticstest.BruteForce(req, final, now)
			got, err := analytics.Summarize(req, rows, want.InProgress, now)
			if err != nil {
				t.Fatal(err)
			}
			queries++
			if want.Totals.Sessions > 0 && len(want.Intents) > 0 {
				nonEmpty++
			}
			if err := analyticstest.Compare(&got, &want); err != nil {
				t.Fatalf("seed %d query %d (%s %s %s–%s ch=%v intent=%q): %v", seed, q, req.Bucket, req.Zone,
					req.From, req.To, req.Channels, req.Intent, err)
			}
		}
	}
	if nonEmpty < queries/2 {
		t.Fatalf("only %d of %d random queries saw sessions: the generator misses the windows", nonEmpty, queries)
	}
	t.Logf("%d of %d queries saw sessions", nonEmpty, queries)
}

// TestDeltaEmptyWhenNothingChanges: an update that changes nothing a summary shows (another
// ANI, an incomplete session's fields) adds no rows.
func TestDeltaEmptyWhenNothingChanges(t *testing.T) {
	end := time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)
	a := session.State{Channel: "rtm", Start: end.Add(-time.Minute), End: end, Status: session.StatusCompleted,
		Intents: []session.Intent{{Name: "A"}}}
	b := a.Clone()
	b.ANI = "+49"
	if d := analytics.Delta(&a, &b); len(d) != 0 {
		t.Fatalf("delta %+v, want none", d)
	}
	inc := session.State{Channel: "rtm", Start: end}
	inc2 := inc
	inc2.Channel = "korevg"
	if d := analytics.Delta(&inc, &inc2); len(d) != 0 {
		t.Fatalf("incomplete: delta %+v", d)
	}
	// A late intent adds exactly that intent's row.
	c := a.Clone()
	c.Intents = append(c.Intents, session.Intent{Name: "B"})
	d := analytics.Delta(&a, &c)
	if len(d) != 1 || d[0].Intent != "B" || d[0].Sessions != 1 {
		t.Fatalf("late intent: delta %+v", d)
	}
	// A first intent also moves the session out of noIntent.
	e := a.Clone()
	e.Intents = nil
	d = analytics.Delta(&e, &a)
	if len(d) != 2 || d[0].Intent != "" || d[0].Sessions != 0 || d[0].NoIntent != -1 || d[1].Intent != "A" {
		t.Fatalf("first intent: delta %+v", d)
	}
}
