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
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	events := New("a", "b", 1).Backfill(200, now)
	if len(events) != 200 {
		t.Fatalf("got %d events", len(events))
	}
	states := map[string]*session.State{}
	fold(events, states)
	channels := map[string]bool{}
	statuses := map[session.Status]bool{}
	for id, st := range states {
		if !st.Completed() {
			t.Fatalf("session %s not completed", id)
		}
		if st.End.After(now) || st.Start.Before(now.Add(-time.Hour)) || st.End.Before(st.Start) {
			t.Fatalf("session %s times %v..%v outside the last hour", id, st.Start, st.End)
		}
		if _, ok := session.ParseStatus(string(st.Status)); !ok {
			t.Fatalf("session %s status %q", id, st.Status)
		}
		channels[st.Channel] = true
		statuses[st.Status] = true
	}
	if len(channels) < 4 || len(statuses) < 4 {
		t.Fatalf("want every channel and status in 200 sessions, got %v %v", channels, statuses)
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
		New("a", "b", 2).Run(ctx, time.Millisecond, func(_ context.Context, es []session.Event) error {
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
