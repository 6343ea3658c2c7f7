// Package alert evaluates threshold rules over the §6 summary figures of a bot: every interval,
// each rule's metric over its trailing window is compared with its threshold; a rule fires once
// when its condition becomes true and resolves once when it stops. Each transition is stored
// with the rule's new state in one transaction, as an alert event that the webhooks subscribed
// to "alert" deliver.
package alert

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The metrics a rule can watch: rates of the window's completed sessions, or counts.
const (
	MetricDropoffRate     = "dropoffRate"
	MetricContainmentRate = "containmentRate"
	MetricTransferRate    = "transferRate"
	MetricErrorRate       = "errorRate"
	MetricSessions        = "sessions"
	// MetricIntentSessions counts the sessions that detected an intent: the one named after a
	// colon (intentSessions:NAME), or any intent.
	MetricIntentSessions = "intentSessions"
)

// States of a rule.
const (
	StateOK       = "ok"
	StateFiring   = "firing"
	StateResolved = "resolved" // the state an event announces when a firing rule stops
)

// MaxWindow is the longest window a rule may watch (the summary's 1 500 one-minute buckets).
const MaxWindow = 24 * time.Hour

// Rule is a threshold on one metric of one bot.
type Rule struct {
	ID      string
	Account string
	Bot     string
	Metric  string // one of the Metric constants
	Intent  string // with MetricIntentSessions: the intent counted; "" for any
	Window  time.Duration
	Above   bool // true: fire when value > Threshold; false: when value < Threshold
	// Threshold is compared with the metric: a rate 0–1 or a count.
	Threshold   float64
	MinSessions int64 // the window must hold at least this many sessions for the rule to fire
	CreatedAt   time.Time
	State       State
}

// State is a rule's durable evaluation state.
type State struct {
	Firing      bool
	Since       time.Time // when it entered its current state; zero before the first evaluation
	Value       float64   // the value at the last evaluation
	Sessions    int64     // the window's sessions at the last evaluation
	EvaluatedAt time.Time
}

// Event is an alert transition, as stored and delivered: Body is the CloudEvents data.
type Event struct {
	Seq     int64 // position in the alert feed, assigned by the store
	Account string
	Bot     string
	RuleID  string
	At      time.Time
	Body    []byte
}

// ParseMetric splits "intentSessions:NAME" and checks the metric's name.
func ParseMetric(s string) (metric, intent string, err error) {
	metric, intent, _ = strings.Cut(s, ":")
	switch metric {
	case MetricDropoffRate, MetricContainmentRate, MetricTransferRate, MetricErrorRate, MetricSessions:
		if intent != "" {
			return "", "", fmt.Errorf("--metric %q: only intentSessions takes a :NAME", s)
		}
	case MetricIntentSessions:
	default:
		return "", "", fmt.Errorf("--metric %q: use dropoffRate, containmentRate, transferRate, errorRate, sessions or intentSessions[:NAME]", s)
	}
	return metric, intent, nil
}

// IsRate says whether the metric is a rate (0–1), undefined over a window without sessions.
func IsRate(metric string) bool {
	return metric != MetricSessions && metric != MetricIntentSessions
}

// NewRule returns a rule with a fresh id, or an error naming the flag that is wrong.
func NewRule(account, bot, metric string, window time.Duration, above, below *float64, minSessions int64, now time.Time) (Rule, error) {
	m, intent, err := ParseMetric(metric)
	if err != nil {
		return Rule{}, err
	}
	if window < time.Minute || window > MaxWindow || window%time.Minute != 0 {
		return Rule{}, fmt.Errorf("--window %s: whole minutes from 1m to 24h", window)
	}
	if (above == nil) == (below == nil) {
		return Rule{}, errors.New("give one of --above X or --below X")
	}
	r := Rule{Account: account, Bot: bot, Metric: m, Intent: intent, Window: window, MinSessions: minSessions, CreatedAt: now.UTC()}
	if above != nil {
		r.Above, r.Threshold = true, *above
	} else {
		r.Threshold = *below
	}
	if IsRate(m) && (r.Threshold < 0 || r.Threshold > 1) {
		return Rule{}, fmt.Errorf("a rate's threshold is between 0 and 1, not %v", r.Threshold)
	}
	if minSessions < 0 {
		return Rule{}, errors.New("--min-sessions must be ≥ 0")
	}
	id := make([]byte, 10)
	if _, err := rand.Read(id); err != nil {
		return Rule{}, err
	}
	r.ID = "al_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(id))
	return r, nil
}

// MetricName is the metric as given on the command line.
func (r *Rule) MetricName() string {
	if r.Metric == MetricIntentSessions && r.Intent != "" {
		return r.Metric + ":" + r.Intent
	}
	return r.Metric
}

// Condition is "above" or "below".
func (r *Rule) Condition() string {
	if r.Above {
		return "above"
	}
	return "below"
}
