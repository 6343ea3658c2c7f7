package session

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// ErrTooManyEvents is returned when a request holds more events than the configured maximum.
var ErrTooManyEvents = errors.New("too many events in one request")

// DecodeJSON reads events from a JSON array (or, for producers that send one event alone, a
// single JSON object). The whole batch is validated: the first bad event fails it. Every event
// is decoded under DecodeObject's strict rules.
func DecodeJSON(data []byte, maxEvents int) ([]Event, error) {
	data = trimJSONSpace(data)
	if len(data) == 0 {
		return nil, &FieldError{Index: -1, Msg: "body is empty: send a JSON array of events"}
	}
	if data[0] == '{' {
		e, fe := decodeOne(data, 0)
		if fe != nil {
			return nil, fe
		}
		return batchChecked([]Event{e})
	}
	if data[0] != '[' {
		return nil, &FieldError{Index: -1, Msg: "body must be a JSON array of events"}
	}
	// The array is only split here; each element is then decoded strictly on its own, so that an
	// error names the event it is in. Invalid UTF-8 and duplicate names are let through by the
	// splitter for that reason: decodeOne refuses them with the event's index.
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	if _, err := dec.ReadToken(); err != nil {
		return nil, &FieldError{Index: -1, Msg: "body is not a valid JSON array: " + syntaxDetail(err)}
	}
	var out []Event
	for i := 0; dec.PeekKind() != ']'; i++ {
		raw, err := dec.ReadValue()
		if err != nil {
			return nil, &FieldError{Index: -1, Msg: "body is not a valid JSON array: " + syntaxDetail(err)}
		}
		if maxEvents > 0 && i >= maxEvents {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyEvents, maxEvents)
		}
		e, fe := decodeOne(raw, i)
		if fe != nil {
			return nil, fe
		}
		out = append(out, e)
	}
	if _, err := dec.ReadToken(); err != nil { // the closing bracket
		return nil, &FieldError{Index: -1, Msg: "body is not a valid JSON array: " + syntaxDetail(err)}
	}
	if off := dec.InputOffset(); len(trimJSONSpace(data[off:])) > 0 {
		return nil, &FieldError{Index: -1, Msg: "body holds more than one JSON value: send one JSON array of events"}
	}
	if out == nil {
		out = []Event{}
	}
	return batchChecked(out)
}

// DecodeNDJSON reads one event per line; blank lines are skipped and do not count as events.
func DecodeNDJSON(r io.Reader, maxEvents int) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var out []Event
	i := 0
	for sc.Scan() {
		line := trimJSONSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if maxEvents > 0 && i >= maxEvents {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyEvents, maxEvents)
		}
		e, fe := decodeOne(line, i)
		if fe != nil {
			// A reader that failed (a body over its size limit) hands the scanner a cut-off last
			// line: the failure, not the broken JSON, is what the producer must hear about.
			if err := sc.Err(); err != nil {
				return nil, err
			}
			return nil, fe
		}
		out = append(out, e)
		i++
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &FieldError{Index: -1, Msg: "body holds no events: send one JSON event per line"}
	}
	return batchChecked(out)
}

func decodeOne(raw []byte, index int) (Event, *FieldError) {
	var w wireEvent
	if fe := DecodeObject(raw, &w); fe != nil {
		fe.Index = index
		return Event{}, fe
	}
	e, fe := w.validate()
	if fe != nil {
		fe.Index = index
		return Event{}, fe
	}
	return e, nil
}

// batchChecked refuses a batch that alone names more than MaxSessionIntents distinct intents for
// one session, naming the event that goes over. Such a batch is a producer's bug; refusing it
// whole tells the producer, where the committer's cap would drop intents silently.
func batchChecked(events []Event) ([]Event, error) {
	total := 0
	for i := range events {
		total += len(events[i].Intents)
		if events[i].Type == TypeIntent {
			total++
		}
	}
	if total <= MaxSessionIntents {
		return events, nil // the common case: no session can be over
	}
	seen := map[string]map[string]struct{}{}
	for i, e := range events {
		names, field := e.Intents, "intents"
		if e.Type == TypeIntent {
			names, field = []string{e.Intent}, "intent"
		}
		if len(names) == 0 {
			continue
		}
		set := seen[e.SessionID]
		if set == nil {
			set = map[string]struct{}{}
			seen[e.SessionID] = set
		}
		for _, n := range names {
			set[n] = struct{}{}
		}
		if len(set) > MaxSessionIntents {
			return nil, &FieldError{Index: i, Field: field, Msg: fmt.Sprintf(
				"brings session %q to more than %d distinct intents in one request, the most a session keeps", e.SessionID, MaxSessionIntents)}
		}
	}
	return events, nil
}
