package demo

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// fold assembles events into sessions the way storage does.
func fold(events []session.Event, states map[string]*session.State) {
	var seq int64
	for _, e := range events {
		st := states[e.SessionID]
		if st == nil {
			st = &session.State{Key: session.Key{Account: "a", Bot: "b", SessionID: e.SessionID}}
			states[e.SessionID] = st
		}
		st.Fold([]session.Event{e}, func() int64 { seq++; return seq })
	}
}

func TestBackfillMakesCompletedRealisticSessions(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 30, 0, time.UTC)
	from := now.Add(-time.Hour)
	events := New("a", "b", 1).Backfill(from, now)
	if len(events) < 600 { // late morning: near the peak of the day
		t.Fatalf("got %d events in the hour before noon", len(events))
	}
	states := map[string]*session.State{}
	fold(events, states)
	channels := map[string]bool{}
	statuses := map[session.Status]bool{}
	for id, st := range states {
		if !st.Completed() {
			t.Fatalf("session %s not completed", id)
		}
		if !st.End.Before(now) || st.End.Before(from) || st.End.Before(st.Start) {
			t.Fatalf("session %s times %v..%v outside [%v, %v)", id, st.Start, st.End, from, now)
		}
		if _, ok := session.ParseStatus(string(st.Status)); !ok {
			t.Fatalf("session %s status %q", id, st.Status)
		}
		channels[st.Channel] = true
		statuses[st.Status] = true
	}
	if len(channels) < 4 || len(statuses) < 4 {
		t.Fatalf("want every channel and status, got %v %v", channels, statuses)
	}
}

// TestBackfillIsRepeatable: a minute backfilled again gives the very same events (ids
// included), so ingest skips them; and the sessions of overlapping backfills are the same.
func TestBackfillIsRepeatable(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	a := New("a", "b", 7).Backfill(now.Add(-30*time.Minute), now)
	b := New("a", "b", 7).Backfill(now.Add(-10*time.Minute), now)
	byID := map[string]session.Event{}
	for _, e := range a {
		byID[e.EventID] = e
	}
	if len(b) == 0 || len(b) >= len(a) {
		t.Fatalf("backfills of 30 and 10 minutes: %d and %d events", len(a), len(b))
	}
	for _, e := range b {
		if got, ok := byID[e.EventID]; !ok || got.SessionID != e.SessionID || !got.EndTime.Equal(e.EndTime) || got.ANI != e.ANI {
			t.Fatalf("event %s differs between two backfills of its minute", e.EventID)
		}
	}
}

// TestDayHasACurveAndSpikes: the night is quieter than the peak, and SpikeIntent's share of the
// sessions rises while it spikes.
func TestDayHasACurveAndSpikes(t *testing.T) {
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	night, peak := PerMinute(day.Add(3*time.Hour+30*time.Minute)), PerMinute(day.Add(10*time.Hour+30*time.Minute))
	if night*4 > peak {
		t.Fatalf("night %.1f/min, peak %.1f/min: no daily curve", night, peak)
	}
	share := func(from time.Time) float64 {
		n, spike := 0, 0
		for _, e := range New("a", "b", 3).Backfill(from, from.Add(20*time.Minute)) {
			n++
			for _, in := range e.Intents {
				if in == SpikeIntent {
					spike++
				}
			}
		}
		return float64(spike) / float64(n)
	}
	during, before := share(day.Add(10*time.Hour+15*time.Minute)), share(day.Add(9*time.Hour+40*time.Minute))
	if !Spiking(day.Add(10*time.Hour+20*time.Minute)) || during < 2*before {
		t.Fatalf("%s: %.2f of sessions during a spike, %.2f before it", SpikeIntent, during, before)
	}
}

func TestRunSendsSessionsThatComplete(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu     sync.Mutex
		events []session.Event
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sim := New("a", "b", 2)
		sim.Pace = 2000 // a session or more a tick, whatever the time of day
		sim.Run(ctx, time.Millisecond, func(_ context.Context, es []session.Event) error {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, es...)
			if len(events) > 300 {
				cancel()
			}
			return nil
		})
	}()
	<-done
	states := map[string]*session.State{}
	fold(events, states)
	completed := 0
	for _, st := range states {
		if st.Completed() {
			completed++
			if st.HandledSeconds() < 20 {
				t.Fatalf("session %s handled %ds: live sessions should look like real calls", st.SessionID, st.HandledSeconds())
			}
		}
	}
	if completed == 0 {
		t.Fatalf("no session completed among %d events", len(events))
	}
}
