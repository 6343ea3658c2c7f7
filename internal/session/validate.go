package session

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// wireEvent is an event as producers write it. Pointers tell "absent" from "empty".
// deflectedTo and timeHandled stay raw so that null, and a value of the wrong JSON type, get
// messages of their own.
type wireEvent struct {
	Type        *string         `json:"type"`
	SessionID   *string         `json:"sessionId"`
	EventID     *string         `json:"eventId"`
	Time        *string         `json:"time"`
	Channel     *string         `json:"channel"`
	ANI         *string         `json:"ANI"`
	DNI         *string         `json:"DNI"`
	UserID      *string         `json:"userId"`
	Intent      *string         `json:"intent"`
	Status      *string         `json:"status"`
	DeflectedTo *jsontext.Value `json:"deflectedTo"`
	TimeHandled *jsontext.Value `json:"timeHandled"`
	StartTime   *string         `json:"startTime"`
	EndTime     *string         `json:"endTime"`
	Intents     *[]string       `json:"intents"`
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

// validate turns a wire event into an Event, or says which field is wrong. Index is filled in by
// the caller. The fields common to every type are read here, the rest by one function per type.
func (w *wireEvent) validate() (Event, *FieldError) {
	e, fe := w.common()
	if fe != nil {
		return e, fe
	}
	switch e.Type {
	case TypeStarted:
		fe = e.fillParties(w)
	case TypeIntent:
		fe = e.fillIntent(w)
	case TypeEnded:
		fe = e.fillOutcome(w)
	case TypeCompleted:
		fe = e.fillCompleted(w)
	}
	return e, fe
}

// common reads what every event carries (type, sessionId, eventId, time) and refuses the fields
// that do not belong to its type.
func (w *wireEvent) common() (Event, *FieldError) {
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
	switch {
	case w.Time != nil:
		t, err := parseTime(*w.Time)
		if err != nil {
			return e, &FieldError{Field: "time", Msg: err.Error()}
		}
		e.Time = t
	case e.Type != TypeCompleted: // session.completed defaults time to its endTime
		return e, &FieldError{Field: "time", Msg: "is required"}
	}
	return e, nil
}

// fillIntent reads the one field of intent.detected.
func (e *Event) fillIntent(w *wireEvent) *FieldError {
	if w.Intent == nil {
		return &FieldError{Field: "intent", Msg: "is required"}
	}
	if fe := checkText("intent", *w.Intent, true); fe != nil {
		return fe
	}
	e.Intent = *w.Intent
	return nil
}

// fillCompleted reads session.completed: a start and an end at once, and the intents between.
func (e *Event) fillCompleted(w *wireEvent) *FieldError {
	if fe := e.fillParties(w); fe != nil {
		return fe
	}
	if fe := e.fillOutcome(w); fe != nil {
		return fe
	}
	for _, f := range []struct {
		name string
		v    *string
		dst  *time.Time
	}{{"startTime", w.StartTime, &e.StartTime}, {"endTime", w.EndTime, &e.EndTime}} {
		if f.v == nil {
			return &FieldError{Field: f.name, Msg: "is required"}
		}
		t, err := parseTime(*f.v)
		if err != nil {
			return &FieldError{Field: f.name, Msg: err.Error()}
		}
		*f.dst = t
	}
	if e.EndTime.Before(e.StartTime) {
		return &FieldError{Field: "endTime", Msg: "is before startTime"}
	}
	if w.Intents != nil {
		if n := len(*w.Intents); n > MaxEventIntents {
			return &FieldError{Field: "intents", Msg: fmt.Sprintf("holds %d intents, at most %d are accepted in one event", n, MaxEventIntents)}
		}
		for i, in := range *w.Intents {
			if fe := checkText(fmt.Sprintf("intents[%d]", i), in, true); fe != nil {
				return fe
			}
		}
		e.Intents = *w.Intents
	}
	if e.Time.IsZero() {
		e.Time = e.EndTime
	}
	return nil
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
	if w.DeflectedTo != nil && w.DeflectedTo.Kind() != 'n' {
		var d string
		if w.DeflectedTo.Kind() != '"' || json.Unmarshal(*w.DeflectedTo, &d) != nil || !ValidID(d) {
			return &FieldError{Field: "deflectedTo", Msg: "must be a channel id (a string of 1-128 printable characters) or null" + kindNote(*w.DeflectedTo, '"')}
		}
		d = strings.ToLower(d)
		e.DeflectedTo = &d
	}
	if w.TimeHandled != nil && w.TimeHandled.Kind() != 'n' {
		// A JSON number only: "600" in a string is a producer's bug that loose decoding hid.
		v, err := strconv.ParseInt(string(*w.TimeHandled), 10, 64)
		if w.TimeHandled.Kind() != '0' || err != nil || v < 0 || v > 100*365*24*3600 {
			return &FieldError{Field: "timeHandled", Msg: "must be whole seconds (a non-negative integer, as a JSON number) or null" + kindNote(*w.TimeHandled, '0')}
		}
		e.TimeHandled = &v
	}
	return nil
}

// kindNote tells a producer which JSON type it sent when that type is not the expected one.
func kindNote(v jsontext.Value, want jsontext.Kind) string {
	names := map[jsontext.Kind]string{'"': "a string", '0': "a number", '{': "an object", '[': "an array", 't': "true", 'f': "false"}
	if k := v.Kind(); k != want && names[k] != "" {
		return ", not " + names[k]
	}
	return ""
}
