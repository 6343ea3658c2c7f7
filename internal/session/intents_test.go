package session

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// TestSessionIntentCap: a session keeps its MaxSessionIntents first-detected intents, whatever
// the order and the grouping in which the detections arrive, and counts what it drops. Before
// the cap, a session grew with every distinct intent any producer sent.
func TestSessionIntentCap(t *testing.T) {
	const n = MaxSessionIntents + 250
	var events []Event
	for i := range n {
		// Intent i is first detected at second i, and seen again later.
		events = append(events, intent(i, fmt.Sprintf("i%04d", i)), intent(n+i, fmt.Sprintf("i%04d", i)))
	}
	want := make([]string, MaxSessionIntents)
	for i := range want {
		want[i] = fmt.Sprintf("i%04d", i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		shuffled := slices.Clone(events)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		var s State
		dropped := 0
		for len(shuffled) > 0 {
			k := min(len(shuffled), 1+rng.IntN(400))
			if round%2 == 0 {
				s.Fold(shuffled[:k], func() int64 { return 1 })
				dropped += s.IntentsDropped
			} else {
				for _, e := range shuffled[:k] {
					s.Apply(e)
					dropped += s.IntentsDropped
				}
			}
			shuffled = shuffled[k:]
			if len(s.Intents) > MaxSessionIntents {
				t.Fatalf("round %d: %d intents kept", round, len(s.Intents))
			}
		}
		if got := s.IntentNames(); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: kept %d intents, first %v, want the %d first detected", round, len(got), got[:min(5, len(got))], MaxSessionIntents)
		}
		if dropped == 0 {
			t.Fatalf("round %d: nothing counted as dropped", round)
		}
	}
}

// TestFoldMergesAsApply: folding a group of events at once gives the same intents as applying
// them one by one (the rule Fold's single merge must keep).
func TestFoldMergesAsApply(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 200 {
		var events []Event
		for range 1 + rng.IntN(30) {
			name := fmt.Sprintf("n%d", rng.IntN(12))
			if rng.IntN(3) == 0 {
				list := []string{name, fmt.Sprintf("n%d", rng.IntN(12)), name}
				start := rng.IntN(5)
				events = append(events, Event{Type: TypeCompleted, SessionID: "s", StartTime: at(start), EndTime: at(start + 10), Time: at(start + 10), Channel: "rtm", Status: StatusError, Intents: list})
			} else {
				events = append(events, intent(rng.IntN(5), name))
			}
		}
		var folded, applied State
		folded.Fold(events, func() int64 { return 1 })
		for _, e := range events {
			applied.Apply(e)
		}
		if !reflect.DeepEqual(folded.Intents, applied.Intents) {
			t.Fatalf("round %d: fold %v, apply %v", round, folded.Intents, applied.Intents)
		}
	}
}

func TestCloneLeavesDropCountOut(t *testing.T) {
	s := State{IntentsDropped: 3}
	if c := s.Clone(); c.IntentsDropped != 0 {
		t.Fatalf("clone carries %d", c.IntentsDropped)
	}
}

// BenchmarkFoldWorstCase folds the largest legal request into one session: the default 10 000
// events (--max-events), each a session.completed listing MaxEventIntents intents drawn from
// MaxSessionIntents names (one request may name no more distinct intents for a session), that is
// a million intents through the committer's merge. (Such a body is about 10 MB, more than the
// default 8 MiB body limit allows, so no real request does more.)
func BenchmarkFoldWorstCase(b *testing.B) {
	events := worstCaseEvents(10_000, func(ev, i int) string { return fmt.Sprintf("intent %d", (ev*MaxEventIntents+i)%MaxSessionIntents) })
	benchFold(b, events)
}

// BenchmarkFoldDistinct is the same with every intent distinct, as the committer would see it if
// the request limit were bypassed: n log n, and capped in what it keeps.
func BenchmarkFoldDistinct(b *testing.B) {
	events := worstCaseEvents(10_000, func(ev, i int) string { return fmt.Sprintf("intent %d", ev*MaxEventIntents+i) })
	benchFold(b, events)
}

func worstCaseEvents(n int, name func(ev, i int) string) []Event {
	events := make([]Event, n)
	for ev := range events {
		list := make([]string, MaxEventIntents)
		for i := range list {
			list[i] = name(ev, i)
		}
		start := at(ev % 3600)
		events[ev] = Event{Type: TypeCompleted, SessionID: "s", Time: start, StartTime: start, EndTime: start, Channel: "rtm", Status: StatusError, Intents: list}
	}
	return events
}

func benchFold(b *testing.B, events []Event) {
	b.ReportAllocs()
	for b.Loop() {
		var s State
		s.Fold(events, func() int64 { return 1 })
		if len(s.Intents) != MaxSessionIntents {
			b.Fatalf("%d intents", len(s.Intents))
		}
	}
}
