// Package session holds the domain of intentrt: conversations of a user with a bot, the events
// that producers send about them, how those events assemble into a session, and how a completed
// session is rendered. It imports nothing of HTTP or SQL so that every transport and every
// storage backend shares one set of rules.
package session

import (
	"fmt"
	"strings"
	"time"
)

// Status is the outcome of a session, in the canonical casing of the Kore.ai API.
type Status string

// The statuses a session can end with. The mixed casing is Kore's, kept for compatibility.
const (
	StatusCompleted     Status = "completed"
	StatusDropoff       Status = "Dropoff"
	StatusAgentTransfer Status = "agentTransfer"
	StatusError         Status = "error"
)

// Statuses lists every accepted status in canonical casing, in the order error messages show them.
var Statuses = []Status{StatusCompleted, StatusDropoff, StatusAgentTransfer, StatusError}

// ParseStatus matches s case-insensitively against the accepted statuses and returns the
// canonical one. Producers disagree on casing ("dropoff", "DROPOFF"); the API answers one casing.
func ParseStatus(s string) (Status, bool) {
	for _, st := range Statuses {
		if strings.EqualFold(s, string(st)) {
			return st, true
		}
	}
	return "", false
}

// StatusList renders the accepted statuses for error messages.
func StatusList() string {
	parts := make([]string, len(Statuses))
	for i, s := range Statuses {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}

// Key identifies a session: the same sessionId under another bot or account is another session.
type Key struct {
	Account   string
	Bot       string
	SessionID string
}

// Intent is one intent detected during a session. At orders intents by first detection; Rank
// breaks ties between intents detected at the same instant (the list order of session.completed).
type Intent struct {
	Name string    `json:"n"`
	At   time.Time `json:"t"`
	Rank int       `json:"r,omitempty"`
}

// State is everything known about a session so far. A session is assembled from events that may
// arrive in any order, so every field may still be unknown (zero) until its event arrives.
type State struct {
	Key
	Channel     string
	ANI         string
	DNI         string
	UserID      string
	Start       time.Time // zero until a start is known
	End         time.Time // zero until an end is known
	Status      Status
	DeflectedTo *string
	TimeHandled *int64   // seconds, as sent by the producer; nil means derive from Start/End
	Intents     []Intent // in order of first detection, at most MaxSessionIntents

	// IntentsDropped counts the intents that the latest Fold or Apply could not keep because the
	// session already had MaxSessionIntents earlier ones; for the committer to count. It is not
	// part of the session: it is not stored, and Clone leaves it zero.
	IntentsDropped int

	// Seq is the change cursor of the latest visible change (completion or later update), 0
	// while the session is incomplete. CompletedSeq is the cursor at which it first completed.
	Seq          int64
	CompletedSeq int64
}

// Completed reports whether both the start and the end of the session are known, which is when
// the read API and the stream start to show it.
func (s *State) Completed() bool { return !s.Start.IsZero() && !s.End.IsZero() }

// HandledSeconds is the time the flow handled the session: the producer's figure when it sent
// one, otherwise end minus start, never negative.
func (s *State) HandledSeconds() int64 {
	if s.TimeHandled != nil {
		return *s.TimeHandled
	}
	d := s.End.Sub(s.Start)
	if d < 0 {
		return 0
	}
	return int64(d / time.Second)
}

// IntentNames returns the intent names in order of first detection, never nil.
func (s *State) IntentNames() []string {
	names := make([]string, len(s.Intents))
	for i, in := range s.Intents {
		names[i] = in.Name
	}
	return names
}

// View is a completed session as the read API and the stream render it: exactly the Kore keys,
// in the Kore order.
type View struct {
	Intent      []string `json:"intent"`
	ANI         string   `json:"ANI"`
	DNI         string   `json:"DNI"`
	Channel     string   `json:"channel"`
	StartTime   string   `json:"startTime"`
	EndTime     string   `json:"endTime"`
	Status      Status   `json:"status"`
	TimeHandled string   `json:"timeHandled"`
	DeflectedTo *string  `json:"deflectedTo"`
	UserID      string   `json:"userId"`
	SessionID   string   `json:"sessionId"`
}

// View renders the session for clients.
func (s *State) View() View {
	return View{
		Intent:      s.IntentNames(),
		ANI:         s.ANI,
		DNI:         s.DNI,
		Channel:     s.Channel,
		StartTime:   FormatTime(s.Start),
		EndTime:     FormatTime(s.End),
		Status:      s.Status,
		TimeHandled: FormatHandled(s.HandledSeconds()),
		DeflectedTo: s.DeflectedTo,
		UserID:      s.UserID,
		SessionID:   s.SessionID,
	}
}

// FormatTime renders t the way Kore does: UTC, millisecond precision, "+00:00" rather than "Z".
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000") + "+00:00"
}

// FormatHandled renders whole seconds as "50s", "13m 8s" or "1h 0m 5s" (hours unbounded).
func FormatHandled(sec int64) string {
	if sec < 0 {
		sec = 0
	}
	switch {
	case sec < 60:
		return fmt.Sprintf("%ds", sec)
	case sec < 3600:
		return fmt.Sprintf("%dm %ds", sec/60, sec%60)
	default:
		return fmt.Sprintf("%dh %dm %ds", sec/3600, sec%3600/60, sec%60)
	}
}

// ChangeKind tells a subscriber whether it sees a session for the first time or again.
type ChangeKind string

// The kinds of change the stream carries; the values are the SSE event names.
const (
	ChangeCompleted ChangeKind = "session"
	ChangeUpdated   ChangeKind = "session.updated"
)

// Change is a completed session as of one cursor value, for the live stream.
type Change struct {
	Seq   int64
	Kind  ChangeKind
	State State
}

// KindSince says how a client that has seen everything up to cursor should be told of s: a
// session that completed after the cursor is new to it, one that completed before is an update.
func (s *State) KindSince(cursor int64) ChangeKind {
	if s.CompletedSeq > cursor {
		return ChangeCompleted
	}
	return ChangeUpdated
}

// Query selects completed sessions of one bot for the read API. Zero values mean "no filter".
type Query struct {
	Account  string
	Bot      string
	Limit    int
	Channels []string  // any of, lowercase
	Statuses []Status  // any of
	Intents  []string  // sessions with any of these intents
	From     time.Time // endTime at or after, when set
	To       time.Time // endTime before, when set
}

// DefaultLimit is how many sessions Kore's API returns; MaxLimit bounds the limit extension.
const (
	DefaultLimit = 25
	MaxLimit     = 100
)
