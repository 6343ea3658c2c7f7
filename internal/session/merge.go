package session

import (
	"cmp"
	"reflect"
	"time"
)

// Apply folds one event into the state. Events may arrive in any order and more than once, so
// the result must not depend on arrival order: the earliest start wins (with the parties it
// names), the latest end wins (with the outcome it names), and an intent keeps the time it was
// first detected. Folding many events, Fold merges their intents in one pass.
func (s *State) Apply(e Event) {
	s.applyEnds(e)
	var m intentMerge
	m.add(e)
	s.IntentsDropped = m.into(s)
}

// applyEnds applies what an event says of the session's start and end.
func (s *State) applyEnds(e Event) {
	switch e.Type {
	case TypeStarted:
		s.applyStart(e.Time, e)
	case TypeEnded:
		s.applyEnd(e.Time, e)
	case TypeCompleted:
		s.applyStart(e.StartTime, e)
		s.applyEnd(e.EndTime, e)
	}
}

func (s *State) applyStart(at time.Time, e Event) {
	if !s.Start.IsZero() {
		// Two starts at the same instant: the smaller set of parties wins, whichever came first,
		// so that the result does not depend on arrival order even then.
		if at.After(s.Start) || (at.Equal(s.Start) &&
			cmp.Or(cmp.Compare(e.Channel, s.Channel), cmp.Compare(e.ANI, s.ANI), cmp.Compare(e.DNI, s.DNI), cmp.Compare(e.UserID, s.UserID)) >= 0) {
			return
		}
	}
	s.Start = at
	s.Channel, s.ANI, s.DNI, s.UserID = e.Channel, e.ANI, e.DNI, e.UserID
}

func (s *State) applyEnd(at time.Time, e Event) {
	if !s.End.IsZero() {
		// Two ends at the same instant: the smaller outcome wins, as for starts.
		if at.Before(s.End) || (at.Equal(s.End) &&
			cmp.Or(cmp.Compare(e.Status, s.Status), cmp.Compare(optString(e.DeflectedTo), optString(s.DeflectedTo)),
				cmp.Compare(optInt(e.TimeHandled), optInt(s.TimeHandled))) >= 0) {
			return
		}
	}
	s.End = at
	s.Status, s.DeflectedTo, s.TimeHandled = e.Status, e.DeflectedTo, e.TimeHandled
}

// optString and optInt order absent values before present ones.
func optString(p *string) string {
	if p == nil {
		return ""
	}
	return "\x00" + *p
}

func optInt(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

// Visible reports whether two states render the same to clients; an update that does not change
// what a client sees is not worth a new cursor or a stream event.
func Visible(a, b *State) bool {
	if !a.Completed() || !b.Completed() {
		return a.Completed() == b.Completed()
	}
	return reflect.DeepEqual(a.View(), b.View())
}

// Clone returns a deep copy, so a caller can compare a state before and after events.
func (s *State) Clone() State {
	c := *s
	c.IntentsDropped = 0 // a figure about the latest fold, not part of the session
	c.Intents = append([]Intent(nil), s.Intents...)
	if s.DeflectedTo != nil {
		d := *s.DeflectedTo
		c.DeflectedTo = &d
	}
	if s.TimeHandled != nil {
		h := *s.TimeHandled
		c.TimeHandled = &h
	}
	return c
}

// Fold applies events to the state and assigns cursors: a session that has just completed gets a
// new cursor as CompletedSeq and Seq; one that was completed and now renders differently gets a
// new Seq. next is called for each new cursor value. It reports the change, if any.
func (s *State) Fold(events []Event, next func() int64) (Change, bool) {
	before := s.Clone()
	var m intentMerge
	for _, e := range events {
		s.applyEnds(e)
		m.add(e)
	}
	s.IntentsDropped = m.into(s)
	switch {
	case !s.Completed():
		return Change{}, false
	case !before.Completed():
		s.Seq = next()
		s.CompletedSeq = s.Seq
		return Change{Seq: s.Seq, Kind: ChangeCompleted, State: s.Clone()}, true
	case !Visible(&before, s):
		s.Seq = next()
		return Change{Seq: s.Seq, Kind: ChangeUpdated, State: s.Clone()}, true
	}
	return Change{}, false
}
