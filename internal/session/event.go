package session

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Type is the kind of a session event.
type Type string

// The event types producers send.
const (
	TypeStarted   Type = "session.started"
	TypeIntent    Type = "intent.detected"
	TypeEnded     Type = "session.ended"
	TypeCompleted Type = "session.completed"
)

// Event is one validated fact about a session, as decoded from a producer.
type Event struct {
	Type      Type
	SessionID string
	EventID   string
	Time      time.Time

	Channel, ANI, DNI, UserID string
	Intent                    string
	Status                    Status
	DeflectedTo               *string
	TimeHandled               *int64
	StartTime, EndTime        time.Time
	Intents                   []string
}

// maxTime is the latest instant that unix nanoseconds can hold.
var maxTime = time.Unix(0, math.MaxInt64)

// MaxIDLen bounds every identifier, as the contract says.
const MaxIDLen = 128

// maxText bounds free-text fields (numbers, intent names) so one event cannot bloat storage.
const maxText = 1024

// ValidID reports whether s is an acceptable opaque identifier: 1–128 printable characters.
func ValidID(s string) bool {
	if s == "" || len(s) > 4*MaxIDLen || utf8.RuneCountInString(s) > MaxIDLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// FieldError names the first thing wrong in a batch of events: which event and which field.
type FieldError struct {
	Index int    // position of the event in the request, from 0; -1 when the batch itself is wrong
	Field string // JSON name of the field, empty when the event as a whole is wrong
	Msg   string
}

func (e *FieldError) Error() string {
	switch {
	case e.Index < 0:
		return e.Msg
	case e.Field == "":
		return fmt.Sprintf("event %d: %s", e.Index, e.Msg)
	default:
		return fmt.Sprintf("event %d: field %q: %s", e.Index, e.Field, e.Msg)
	}
}

// wireEvent is an event as producers write it. Pointers tell "absent" from "empty".
type wireEvent struct {
	Type        *string          `json:"type"`
	SessionID   *string          `json:"sessionId"`
	EventID     *string          `json:"eventId"`
	Time        *string          `json:"time"`
	Channel     *string          `json:"channel"`
	ANI         *string          `json:"ANI"`
	DNI         *string          `json:"DNI"`
	UserID      *string          `json:"userId"`
	Intent      *string          `json:"intent"`
	Status      *string          `json:"status"`
	DeflectedTo *json.RawMessage `json:"deflectedTo"`
	TimeHandled *json.RawMessage `json:"timeHandled"`
	StartTime   *string          `json:"startTime"`
	EndTime     *string          `json:"endTime"`
	Intents     *[]string        `json:"intents"`
}

// allowed lists, per type, the fields beyond type/sessionId/eventId/time an event may carry.
// A field that does not belong to its type is refused: it is almost always a producer's bug.
var allowed = map[Type][]string{
	TypeStarted:   {"channel", "ANI", "DNI", "userId"},
	TypeIntent:    {"intent"},
	TypeEnded:     {"status", "deflectedTo", "timeHandled"},
	TypeCompleted: {"channel", "ANI", "DNI", "userId", "startTime", "endTime", "intents", "status", "deflectedTo", "timeHandled"},
}

func (w *wireEvent) present() map[string]bool {
	p := map[string]bool{}
	set := func(name string, ok bool) {
		if ok {
			p[name] = true
		}
	}
	set("channel", w.Channel != nil)
	set("ANI", w.ANI != nil)
	set("DNI", w.DNI != nil)
	set("userId", w.UserID != nil)
	set("intent", w.Intent != nil)
	set("status", w.Status != nil)
	set("deflectedTo", w.DeflectedTo != nil)
	set("timeHandled", w.TimeHandled != nil)
	set("startTime", w.StartTime != nil)
	set("endTime", w.EndTime != nil)
	set("intents", w.Intents != nil)
	return p
}

// presentOrder fixes the order in which stray fields are reported, so errors are stable.
var presentOrder = []string{"channel", "ANI", "DNI", "userId", "intent", "status", "deflectedTo", "timeHandled", "startTime", "endTime", "intents"}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("not an RFC 3339 time (like 2024-01-06T14:07:08.185+00:00)")
	}
	// Times are stored as unix nanoseconds, which reach from 1677 to 2262; a later time would
	// silently wrap around into the past.
	if t.Year() < 1970 || t.After(maxTime) {
		return time.Time{}, fmt.Errorf("out of range: from 1970 to 2262")
	}
	return t.UTC(), nil
}

// ValidText reports whether s is acceptable free text (an intent name, a phone number): valid
// UTF-8 of at most 1024 bytes without control characters. Control characters have no place in
// these fields, and PostgreSQL cannot store NUL at all: letting one through would turn a
// producer's bad event into a storage failure instead of a 400.
func ValidText(s string) bool {
	return len(s) <= maxText && utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

func checkText(field, v string, required bool) *FieldError {
	if required && strings.TrimSpace(v) == "" {
		return &FieldError{Field: field, Msg: "must not be empty"}
	}
	if !ValidText(v) {
		return &FieldError{Field: field, Msg: fmt.Sprintf("must be valid UTF-8 of at most %d bytes without control characters", maxText)}
	}
	return nil
}

// validate turns a wire event into an Event, or says which field is wrong. Index is filled in by
// the caller.
func (w *wireEvent) validate() (Event, *FieldError) {
	var e Event
	if w.Type == nil {
		return e, &FieldError{Field: "type", Msg: "is required"}
	}
	e.Type = Type(*w.Type)
	allow, ok := allowed[e.Type]
	if !ok {
		return e, &FieldError{Field: "type", Msg: fmt.Sprintf("unknown event type %q; accepted: session.started, intent.detected, session.ended, session.completed", *w.Type)}
	}
	if w.SessionID == nil || !ValidID(*w.SessionID) {
		return e, &FieldError{Field: "sessionId", Msg: "is required: 1-128 printable characters"}
	}
	e.SessionID = *w.SessionID
	if w.EventID != nil {
		if !ValidID(*w.EventID) {
			return e, &FieldError{Field: "eventId", Msg: "must be 1-128 printable characters"}
		}
		e.EventID = *w.EventID
	}
	present := w.present()
	for _, name := range allow {
		delete(present, name)
	}
	for _, name := range presentOrder {
		if present[name] {
			return e, &FieldError{Field: name, Msg: fmt.Sprintf("is not a field of %s", e.Type)}
		}
	}
	if w.Time != nil {
		t, err := parseTime(*w.Time)
		if err != nil {
			return e, &FieldError{Field: "time", Msg: err.Error()}
		}
		e.Time = t
	} else if e.Type != TypeCompleted {
		return e, &FieldError{Field: "time", Msg: "is required"}
	}

	switch e.Type {
	case TypeStarted:
		if fe := e.fillParties(w); fe != nil {
			return e, fe
		}
	case TypeIntent:
		if w.Intent == nil {
			return e, &FieldError{Field: "intent", Msg: "is required"}
		}
		if fe := checkText("intent", *w.Intent, true); fe != nil {
			return e, fe
		}
		e.Intent = *w.Intent
	case TypeEnded:
		if fe := e.fillOutcome(w); fe != nil {
			return e, fe
		}
	case TypeCompleted:
		if fe := e.fillParties(w); fe != nil {
			return e, fe
		}
		if fe := e.fillOutcome(w); fe != nil {
			return e, fe
		}
		for _, f := range []struct {
			name string
			v    *string
			dst  *time.Time
		}{{"startTime", w.StartTime, &e.StartTime}, {"endTime", w.EndTime, &e.EndTime}} {
			if f.v == nil {
				return e, &FieldError{Field: f.name, Msg: "is required"}
			}
			t, err := parseTime(*f.v)
			if err != nil {
				return e, &FieldError{Field: f.name, Msg: err.Error()}
			}
			*f.dst = t
		}
		if e.EndTime.Before(e.StartTime) {
			return e, &FieldError{Field: "endTime", Msg: "is before startTime"}
		}
		if w.Intents != nil {
			for _, in := range *w.Intents {
				if fe := checkText("intents", in, true); fe != nil {
					return e, fe
				}
			}
			e.Intents = *w.Intents
		}
		if e.Time.IsZero() {
			e.Time = e.EndTime
		}
	}
	return e, nil
}

// fillParties reads the fields of a session's start: who called whom on which channel.
func (e *Event) fillParties(w *wireEvent) *FieldError {
	if w.Channel == nil || !ValidID(*w.Channel) {
		return &FieldError{Field: "channel", Msg: "is required: a channel id such as rtm, audiocodes, korevg, twiliovoice"}
	}
	// Channel ids are lowercase in Kore's answers; producers that send "RTM" mean the same channel.
	e.Channel = strings.ToLower(*w.Channel)
	for _, f := range []struct {
		name string
		v    *string
		dst  *string
	}{{"ANI", w.ANI, &e.ANI}, {"DNI", w.DNI, &e.DNI}, {"userId", w.UserID, &e.UserID}} {
		if f.v == nil {
			continue
		}
		if fe := checkText(f.name, *f.v, false); fe != nil {
			return fe
		}
		// userId is an id: when given, it follows the contract's rule for every id.
		if f.name == "userId" && *f.v != "" && !ValidID(*f.v) {
			return &FieldError{Field: f.name, Msg: "must be 1-128 printable characters"}
		}
		*f.dst = *f.v
	}
	return nil
}

// fillOutcome reads the fields of a session's end: status, deflection and handling time.
func (e *Event) fillOutcome(w *wireEvent) *FieldError {
	if w.Status == nil {
		return &FieldError{Field: "status", Msg: "is required; accepted: " + StatusList()}
	}
	st, ok := ParseStatus(*w.Status)
	if !ok {
		return &FieldError{Field: "status", Msg: fmt.Sprintf("unknown status %q; accepted: %s", *w.Status, StatusList())}
	}
	e.Status = st
	if w.DeflectedTo != nil && string(*w.DeflectedTo) != "null" {
		var d string
		if err := json.Unmarshal(*w.DeflectedTo, &d); err != nil || !ValidID(d) {
			return &FieldError{Field: "deflectedTo", Msg: "must be a channel id or null"}
		}
		d = strings.ToLower(d)
		e.DeflectedTo = &d
	}
	if w.TimeHandled != nil && string(*w.TimeHandled) != "null" {
		var n json.Number
		if err := json.Unmarshal(*w.TimeHandled, &n); err != nil {
			return &FieldError{Field: "timeHandled", Msg: "must be whole seconds (a non-negative integer)"}
		}
		v, err := n.Int64()
		if err != nil || v < 0 || v > 100*365*24*3600 {
			return &FieldError{Field: "timeHandled", Msg: "must be whole seconds (a non-negative integer)"}
		}
		e.TimeHandled = &v
	}
	return nil
}

// DedupKey identifies an event for idempotency: its eventId when the producer gave one,
// otherwise a digest of its content, so that a blind retry of the same event is recognised.
func (e *Event) DedupKey() string {
	if e.EventID != "" {
		return "id:" + e.EventID
	}
	b, _ := json.Marshal(canonical{e.Type, e.SessionID, e.Time.UnixNano(), e.Channel, e.ANI, e.DNI, e.UserID, e.Intent,
		e.Status, e.DeflectedTo, e.TimeHandled, e.StartTime.UnixNano(), e.EndTime.UnixNano(), e.Intents})
	sum := sha256.Sum256(b)
	return fmt.Sprintf("h:%x", sum[:16])
}

// canonical is the content an event is recognised by; times are normalised so that the same
// instant written with another offset is the same event.
type canonical struct {
	T    Type
	S    string
	At   int64
	C    string
	A    string
	D    string
	U    string
	I    string
	St   Status
	Df   *string
	H    *int64
	Sa   int64
	En   int64
	Ints []string
}
