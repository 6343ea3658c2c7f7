// Package webhook pushes committed sessions (and alerts) to HTTP receivers: the webhook
// registrations, their Standard Webhooks signatures and CloudEvents bodies, the guard that keeps
// deliveries off private networks, and the dispatcher that runs one delivery loop per webhook
// over storage's change feed. It imports no storage backend: what it needs of storage is the
// Store interface below, which every backend implements.
package webhook

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Event is a kind of event a webhook subscribes to, as named on the command line.
type Event string

// The events a webhook may subscribe to. The first two are the session.ChangeKind values.
const (
	EventSession        Event = "session"
	EventSessionUpdated Event = "session.updated"
	EventAlert          Event = "alert"
)

// AllEvents lists every event, in the order they are documented.
var AllEvents = []Event{EventSession, EventSessionUpdated, EventAlert}

// Webhook is a registered receiver: where to deliver what, and how far it has got.
type Webhook struct {
	ID      string
	Account string
	// Bot is the one bot whose events are delivered; empty when AllBots.
	Bot       string
	AllBots   bool
	URL       string
	Events    []Event
	Secret    string // whsec_…, the form Standard Webhooks libraries take
	CreatedAt time.Time
	RevokedAt *time.Time
	Progress  Progress
}

// Progress is a webhook's durable delivery state. Everything up to Cursor was delivered (or
// dead-lettered); the delivery of the next change after it is being attempted.
type Progress struct {
	Cursor int64
	// AlertCursor is the same for the alert feed, when the webhook subscribes to alerts.
	AlertCursor int64
	// Epoch changes when an operator moves the cursor (replay); a worker holding an older epoch
	// saves nothing more and restarts from the stored state.
	Epoch       int64
	Attempts    int       // failed attempts of the delivery after Cursor
	NextAttempt time.Time // zero: now
	LastError   string
	LastErrorAt time.Time
	// MarkAt and MarkHead bound what may be dead-lettered: every change up to MarkHead was
	// committed before MarkAt. Zero while deliveries succeed.
	MarkAt   time.Time
	MarkHead int64
	// DeadLettered counts the deliveries given up on, ever.
	DeadLettered int64
}

// DeadLetter is a range of a feed given up on: the webhook's changes (or alerts) above After up
// to Through, Count of them, after its receiver failed for the dead-letter period.
type DeadLetter struct {
	Stream         string // "sessions" (the change feed) or "alerts" (the alert feed)
	After, Through int64
	Count          int64
	At             time.Time
	Error          string
}

// Wants says whether the webhook subscribes to e.
func (w *Webhook) Wants(e Event) bool { return slices.Contains(w.Events, e) }

// Active says whether the webhook is still to be delivered to.
func (w *Webhook) Active() bool { return w.RevokedAt == nil }

// New returns a webhook with a fresh id and secret, or an error naming what is wrong.
func New(account, bot string, allBots bool, rawURL string, events []Event, now time.Time) (Webhook, error) {
	if err := CheckURL(rawURL); err != nil {
		return Webhook{}, err
	}
	if allBots == (bot != "") {
		return Webhook{}, errors.New("give --bot or --all-bots")
	}
	if len(events) == 0 {
		return Webhook{}, errors.New("give at least one event (session, session.updated, alert)")
	}
	var evs []Event
	for _, e := range events {
		if !slices.Contains(AllEvents, e) {
			return Webhook{}, fmt.Errorf("unknown event %q: use session, session.updated or alert", e)
		}
		if !slices.Contains(evs, e) {
			evs = append(evs, e)
		}
	}
	secret, err := NewSecret()
	if err != nil {
		return Webhook{}, err
	}
	id := make([]byte, 15)
	if _, err := rand.Read(id); err != nil {
		return Webhook{}, fmt.Errorf("webhook id: %w", err)
	}
	return Webhook{
		ID:      "wh_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(id)),
		Account: account, Bot: bot, AllBots: allBots, URL: rawURL, Events: evs, Secret: secret,
		CreatedAt: now.UTC(),
	}, nil
}

// CheckURL accepts an absolute http:// or https:// URL with a host and no credentials. Where
// the host points is checked at each connection (see Guard), not here: a name may change.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("--url %q: %v", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("--url %q: use https:// (or http://)", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("--url %q: no host", raw)
	}
	if u.User != nil {
		return fmt.Errorf("--url %q: credentials in the URL would be sent to the receiver in the clear; the signature authenticates deliveries", raw)
	}
	if u.Fragment != "" {
		return fmt.Errorf("--url %q: a fragment is never sent", raw)
	}
	return nil
}
