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

// Limits on intents. Kore's sessions detect a handful of intents; these bounds are far above any
// real session and keep the work of one event and of one session's merge small, since sessions
// are merged inside the single committer that every account's ingest waits on.
const (
	// MaxEventIntents bounds the intents list of one session.completed event; beyond it the
	// event is refused.
	MaxEventIntents = 100
	// MaxSessionIntents bounds the distinct intents of one session. A request that alone names
	// more for one session is refused; a session that reaches it across requests keeps its
	// MaxSessionIntents first-detected intents and drops the rest (see State.IntentsDropped).
	MaxSessionIntents = 1000
)

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

// FieldError names the first thing wrong in a batch of events (which event and which field) or
// in a single object a client sent (which field).
type FieldError struct {
	Index int    // position of the event in the request, from 0; -1 when the batch itself is wrong, or for a single object
	Field string // JSON name of the field, empty when the event as a whole is wrong
	Msg   string
}

func (e *FieldError) Error() string {
	switch {
	case e.Index < 0 && e.Field == "":
		return e.Msg
	case e.Index < 0:
		return fmt.Sprintf("field %q: %s", e.Field, e.Msg)
	case e.Field == "":
		return fmt.Sprintf("event %d: %s", e.Index, e.Msg)
	default:
		return fmt.Sprintf("event %d: field %q: %s", e.Index, e.Field, e.Msg)
	}
}

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

// DedupKey identifies an event for idempotency: its eventId when the producer gave one,
// otherwise a digest of its content, so that a blind retry of the same event is recognised.
// Ingest calls it on events already rewritten by the account's personal-data policy (the
// committer's Redactor), so the digest is of what is stored and keeps nothing raw that the
// policy removed: a plain digest of a phone number could be reversed by trying every number.
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
