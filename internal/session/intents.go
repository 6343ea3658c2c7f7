package session

import (
	"cmp"
	"slices"
	"strings"
)

// intentMerge gathers the intents that a group of events detect, each name with its earliest
// detection, so that a session's intents are merged once per group: a map insert per detected
// intent and one sort of the session's intents. Merging each intent on its own (a scan and a
// sort per intent) made one event with 64 000 intents hold the committer, and every account's
// ingest with it, for half a minute.
type intentMerge struct {
	first map[string]Intent // nil until an intent is detected
}

// add takes the intents an event detects: intent.detected its one intent at its time,
// session.completed its list at the session's start, ranked in the order listed.
func (m *intentMerge) add(e Event) {
	switch e.Type {
	case TypeIntent:
		m.detect(Intent{Name: e.Intent, At: e.Time})
	case TypeCompleted:
		for i, name := range e.Intents {
			m.detect(Intent{Name: name, At: e.StartTime, Rank: i})
		}
	}
}

func (m *intentMerge) detect(in Intent) {
	if m.first == nil {
		m.first = make(map[string]Intent)
	}
	if cur, ok := m.first[in.Name]; ok && compareIntents(in, cur) >= 0 {
		return
	}
	m.first[in.Name] = in
}

// into merges the gathered intents into s.Intents, keeping for every name its earliest
// detection, in order of first detection, and only the MaxSessionIntents first. It returns how
// many intents were not kept. The work is linear in the session's intents plus n log n in the
// intents gathered, which are sorted before a merge of the two sorted lists.
//
// Keeping the first ones, by the same order the list is sorted in, leaves the result independent
// of arrival order: the cut-off point only moves earlier as detections arrive, so an intent left
// out once would be left out whenever it had arrived.
func (m *intentMerge) into(s *State) (dropped int) {
	if len(m.first) == 0 {
		return 0
	}
	old := s.Intents
	if !slices.IsSortedFunc(old, compareIntents) { // never written so; cheap to make sure
		old = slices.SortedFunc(slices.Values(old), compareIntents)
	}
	// What remains in m.first afterwards is what changes the list: new names, and names detected
	// earlier than the list says.
	for _, in := range old {
		if cur, ok := m.first[in.Name]; ok && compareIntents(in, cur) <= 0 {
			delete(m.first, in.Name)
		}
	}
	if len(m.first) == 0 {
		return 0
	}
	fresh := make([]Intent, 0, len(m.first))
	for _, in := range m.first {
		fresh = append(fresh, in)
	}
	slices.SortFunc(fresh, compareIntents)
	merged := make([]Intent, 0, min(len(old)+len(fresh), MaxSessionIntents))
	i, j, total := 0, 0, 0
	for i < len(old) || j < len(fresh) {
		var next Intent
		switch {
		case i < len(old) && m.superseded(old[i]):
			i++
			continue
		case j == len(fresh) || (i < len(old) && compareIntents(old[i], fresh[j]) < 0):
			next, i = old[i], i+1
		default:
			next, j = fresh[j], j+1
		}
		if total++; total <= MaxSessionIntents {
			merged = append(merged, next)
		}
	}
	s.Intents = merged
	return max(0, total-MaxSessionIntents)
}

// superseded reports whether the gathered intents hold an earlier detection of in's name.
func (m *intentMerge) superseded(in Intent) bool {
	_, ok := m.first[in.Name]
	return ok
}

// compareIntents orders intents by first detection; between intents detected at the same
// instant, by rank (the list order of session.completed), then by name: an order that arrival
// cannot change.
func compareIntents(a, b Intent) int {
	return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Rank, b.Rank), strings.Compare(a.Name, b.Name))
}
