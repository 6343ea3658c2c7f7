package session

import (
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2024, 1, 6, 14, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func started(sec int, channel string) Event {
	return Event{Type: TypeStarted, SessionID: "s", Time: at(sec), Channel: channel, ANI: "ani-" + channel, DNI: "dni-" + channel, UserID: "u-" + channel}
}

func intent(sec int, name string) Event {
	return Event{Type: TypeIntent, SessionID: "s", Time: at(sec), Intent: name}
}

func ended(sec int, st Status) Event {
	return Event{Type: TypeEnded, SessionID: "s", Time: at(sec), Status: st}
}

// applyCase is a group of events applied one by one, and what must hold of the result.
type applyCase struct {
	name   string
	events []Event
	check  func(t *testing.T, s *State)
}

func runApplyCases(t *testing.T, cases []applyCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s State
			for _, e := range c.events {
				s.Apply(e)
			}
			c.check(t, &s)
		})
	}
}

// TestApplyRules holds the rules for the start and the end; TestApplyRulesIntents the rest.
// (Two functions, so that neither is above a cyclomatic complexity of 20: gocyclo -over 20.)
func TestApplyRules(t *testing.T) {
	rtm := "rtm"
	handled := int64(42)
	runApplyCases(t, []applyCase{
		{"earliest start wins with its parties", []Event{started(10, "rtm"), started(5, "korevg"), started(7, "audiocodes")}, func(t *testing.T, s *State) {
			if !s.Start.Equal(at(5)) || s.Channel != "korevg" || s.ANI != "ani-korevg" || s.DNI != "dni-korevg" || s.UserID != "u-korevg" {
				t.Fatalf("start %v channel %q ANI %q DNI %q user %q", s.Start, s.Channel, s.ANI, s.DNI, s.UserID)
			}
		}},
		{"latest end wins with its outcome", []Event{
			{Type: TypeEnded, SessionID: "s", Time: at(100), Status: StatusError},
			{Type: TypeEnded, SessionID: "s", Time: at(200), Status: StatusAgentTransfer, DeflectedTo: &rtm, TimeHandled: &handled},
			{Type: TypeEnded, SessionID: "s", Time: at(150), Status: StatusDropoff},
		}, func(t *testing.T, s *State) {
			if !s.End.Equal(at(200)) || s.Status != StatusAgentTransfer || s.DeflectedTo == nil || *s.DeflectedTo != "rtm" || s.TimeHandled == nil || *s.TimeHandled != 42 {
				t.Fatalf("end %v status %q deflected %v handled %v", s.End, s.Status, s.DeflectedTo, s.TimeHandled)
			}
		}},
		{"a later end without deflection clears it", []Event{
			{Type: TypeEnded, SessionID: "s", Time: at(100), Status: StatusAgentTransfer, DeflectedTo: &rtm},
			ended(200, StatusCompleted),
		}, func(t *testing.T, s *State) {
			if s.DeflectedTo != nil || s.Status != StatusCompleted {
				t.Fatalf("deflected %v status %q", s.DeflectedTo, s.Status)
			}
		}},
	})
}

func TestApplyRulesIntents(t *testing.T) {
	runApplyCases(t, []applyCase{
		{"intents by first detection, once each", []Event{intent(30, "C"), intent(10, "A"), intent(20, "B"), intent(5, "C"), intent(40, "A")}, func(t *testing.T, s *State) {
			if got := s.IntentNames(); !reflect.DeepEqual(got, []string{"C", "A", "B"}) {
				t.Fatalf("intents %v", got)
			}
		}},
		{"completed: start, end and listed intents at the start in list order", []Event{
			intent(-10, "Early"),
			{Type: TypeCompleted, SessionID: "s", Time: at(60), StartTime: at(0), EndTime: at(60), Channel: "rtm", Status: StatusDropoff, Intents: []string{"Z", "Y", "X"}},
			intent(30, "Later"),
		}, func(t *testing.T, s *State) {
			if got := s.IntentNames(); !reflect.DeepEqual(got, []string{"Early", "Z", "Y", "X", "Later"}) {
				t.Fatalf("intents %v", got)
			}
			if !s.Completed() || s.Channel != "rtm" || s.Status != StatusDropoff {
				t.Fatalf("state %+v", s)
			}
		}},
		{"start only is not completed", []Event{started(0, "rtm"), intent(1, "A")}, func(t *testing.T, s *State) {
			if s.Completed() {
				t.Fatal("completed without an end")
			}
		}},
		{"end only is not completed", []Event{ended(10, StatusError)}, func(t *testing.T, s *State) {
			if s.Completed() {
				t.Fatal("completed without a start")
			}
		}},
		{"applying an event twice changes nothing", []Event{started(0, "rtm"), started(0, "rtm"), intent(3, "A"), intent(3, "A"), ended(9, StatusError), ended(9, StatusError)}, func(t *testing.T, s *State) {
			if got := s.IntentNames(); !reflect.DeepEqual(got, []string{"A"}) || s.Channel != "rtm" || !s.End.Equal(at(9)) {
				t.Fatalf("state %+v", s)
			}
		}},
	})
}

// TestApplyOrderIndependent applies every permutation of a set of events (distinct times) and
// expects one and the same view.
func TestApplyOrderIndependent(t *testing.T) {
	events := []Event{started(0, "korevg"), started(3, "rtm"), intent(5, "B"), intent(4, "A"), intent(6, "B"), ended(50, StatusDropoff), ended(40, StatusError)}
	var want *View
	n := 0
	permute(events, 0, func(p []Event) {
		n++
		var s State
		for _, e := range p {
			s.Apply(e)
		}
		v := s.View()
		if want == nil {
			want = &v
			if v.Channel != "korevg" || v.Status != StatusDropoff || !reflect.DeepEqual(v.Intent, []string{"A", "B"}) || v.TimeHandled != "50s" {
				t.Fatalf("unexpected view %+v", v)
			}
			return
		}
		if !reflect.DeepEqual(v, *want) {
			t.Fatalf("order %v gave %+v, want %+v", p, v, *want)
		}
	})
	if n != 5040 {
		t.Fatalf("%d permutations", n)
	}
}

// TestApplyOrderIndependentOnTies: conflicting events at the very same instant (two starts,
// two ends, two intents, a session.completed) still give one view whatever the arrival order.
func TestApplyOrderIndependentOnTies(t *testing.T) {
	rtm := "rtm"
	whole := Event{Type: TypeCompleted, SessionID: "s", Time: at(50), Channel: "audiocodes", ANI: "a", DNI: "d", UserID: "u",
		StartTime: at(0), EndTime: at(50), Intents: []string{"Z", "Y"}, Status: StatusCompleted, DeflectedTo: &rtm}
	events := []Event{started(0, "korevg"), started(0, "rtm"), intent(5, "B"), intent(5, "A"), ended(50, StatusDropoff), ended(50, StatusError), whole}
	var want *View
	permute(events, 0, func(p []Event) {
		var s State
		for _, e := range p {
			s.Apply(e)
		}
		v := s.View()
		if want == nil {
			want = &v
			return
		}
		if !reflect.DeepEqual(v, *want) {
			t.Fatalf("order %v gave %+v, want %+v", p, v, *want)
		}
	})
	if want.Channel != "audiocodes" || want.Status != StatusDropoff || want.DeflectedTo != nil ||
		!reflect.DeepEqual(want.Intent, []string{"Z", "Y", "A", "B"}) {
		t.Fatalf("unexpected view %+v", *want)
	}
}

func permute(es []Event, k int, f func([]Event)) {
	if k == len(es) {
		f(es)
		return
	}
	for i := k; i < len(es); i++ {
		es[k], es[i] = es[i], es[k]
		permute(es, k+1, f)
		es[k], es[i] = es[i], es[k]
	}
}

func TestFold(t *testing.T) {
	var seq int64 = 100
	next := func() int64 { seq++; return seq }
	var s State
	s.Key = Key{Account: "a", Bot: "b", SessionID: "s"}

	steps := []struct {
		name     string
		events   []Event
		changed  bool
		kind     ChangeKind
		seq      int64
		complete int64
	}{
		{"start alone: no change", []Event{started(0, "rtm")}, false, "", 0, 0},
		{"intent before the end: no change", []Event{intent(2, "A")}, false, "", 0, 0},
		{"end completes it", []Event{ended(60, StatusCompleted)}, true, ChangeCompleted, 101, 101},
		{"same events again: no change", []Event{started(0, "rtm"), ended(60, StatusCompleted)}, false, "", 101, 101},
		{"a later detection of a known intent: no visible change", []Event{intent(30, "A")}, false, "", 101, 101},
		{"a late new intent: update", []Event{intent(30, "B")}, true, ChangeUpdated, 102, 101},
		{"a later end: update", []Event{ended(90, StatusDropoff)}, true, ChangeUpdated, 103, 101},
		{"several events in one fold: one update", []Event{intent(40, "C"), intent(41, "D")}, true, ChangeUpdated, 104, 101},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			ch, ok := s.Fold(st.events, next)
			if ok != st.changed {
				t.Fatalf("changed %v, want %v", ok, st.changed)
			}
			if s.Seq != st.seq || s.CompletedSeq != st.complete {
				t.Fatalf("Seq %d CompletedSeq %d, want %d %d", s.Seq, s.CompletedSeq, st.seq, st.complete)
			}
			if !ok {
				return
			}
			if ch.Kind != st.kind || ch.Seq != st.seq || ch.State.Seq != st.seq || ch.State.Key != s.Key {
				t.Fatalf("change %+v", ch)
			}
			if !reflect.DeepEqual(ch.State.View(), s.View()) {
				t.Fatalf("change carries %+v, state is %+v", ch.State.View(), s.View())
			}
		})
	}
	t.Run("the change is a copy", func(t *testing.T) {
		ch, ok := s.Fold([]Event{intent(50, "E")}, next)
		if !ok {
			t.Fatal("no change for a new intent")
		}
		s.Intents[0].Name = "mutated"
		if ch.State.Intents[0].Name != "A" {
			t.Fatal("change shares intents with the state")
		}
	})
	t.Run("KindSince", func(t *testing.T) {
		if k := s.KindSince(100); k != ChangeCompleted {
			t.Fatalf("a client at cursor 100 has not seen the session: %q", k)
		}
		if k := s.KindSince(101); k != ChangeUpdated {
			t.Fatalf("a client at cursor 101 has seen it complete: %q", k)
		}
	})
}

func TestClone(t *testing.T) {
	d, h := "rtm", int64(5)
	s := State{Intents: []Intent{{Name: "A", At: t0}}, DeflectedTo: &d, TimeHandled: &h}
	c := s.Clone()
	c.Intents[0].Name = "changed"
	*c.DeflectedTo = "changed"
	*c.TimeHandled = 9
	if s.Intents[0].Name != "A" || *s.DeflectedTo != "rtm" || *s.TimeHandled != 5 {
		t.Fatalf("clone shares memory with the original: %+v", s)
	}
}
