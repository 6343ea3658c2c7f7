package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
)

// Summarizer computes a bot's §6 summary (summary.Service).
type Summarizer interface {
	Summarize(ctx context.Context, account, bot string, body analytics.Body, now time.Time) (analytics.Summary, error)
}

// Store keeps rules, their state and the alert feed; every backend implements it.
type Store interface {
	// ListAlertRules returns every rule with its state, oldest first.
	ListAlertRules(ctx context.Context) ([]Rule, error)
	// RecordAlert stores the rule's new state and, when ev is not nil, appends ev to the alert
	// feed, in one transaction: a transition is announced exactly when it is recorded.
	// ErrNotFound-like errors when the rule was deleted meanwhile.
	RecordAlert(ctx context.Context, ruleID string, st State, ev *Event) error
}

// Leaser grants expiring named leases (webhook.Leaser): on a shared store, one node evaluates.
type Leaser interface {
	AcquireLeases(ctx context.Context, node string, names []string, ttl time.Duration) ([]string, error)
	ReleaseLeases(ctx context.Context, node string) error
}

// LeaseName is the lease of alert evaluation.
const LeaseName = "alerts"

// Options configure an Evaluator.
type Options struct {
	Store    Store
	Summary  Summarizer
	Leaser   Leaser // nil: this node is the only one
	Node     string
	Interval time.Duration // 1 min when zero
	// Notify is called after a transition is recorded (to wake webhook delivery).
	Notify func()
	// Evaluated counts evaluations by outcome (ok, firing, error); Transition counts events by
	// state (firing, resolved). Either may be nil.
	Evaluated  func(outcome string)
	Transition func(state string)
	Log        *slog.Logger
}

// Evaluator evaluates every rule each interval.
type Evaluator struct{ o Options }

// NewEvaluator returns an evaluator; call Run.
func NewEvaluator(o Options) *Evaluator {
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Evaluator{o: o}
}

// Run evaluates every interval until ctx ends. A rule's state is stored, so a restart (or
// another node taking over) neither refires a firing rule nor forgets it.
func (e *Evaluator) Run(ctx context.Context) {
	t := time.NewTicker(e.o.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if e.o.Leaser != nil { // another node takes over at its next tick, not after the expiry
				rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				_ = e.o.Leaser.ReleaseLeases(rctx, e.o.Node)
			}
			return
		case <-t.C:
		}
		if e.o.Leaser != nil {
			// The lease outlives two intervals, so that it stays with this node while it runs.
			held, err := e.o.Leaser.AcquireLeases(ctx, e.o.Node, []string{LeaseName}, 2*e.o.Interval+5*time.Second)
			if err != nil || len(held) == 0 {
				continue
			}
		}
		e.EvaluateAll(ctx, time.Now())
	}
}

// EvaluateAll evaluates every rule at now.
func (e *Evaluator) EvaluateAll(ctx context.Context, now time.Time) {
	rules, err := e.o.Store.ListAlertRules(ctx)
	if err != nil {
		if ctx.Err() == nil {
			e.o.Log.Warn("alerts: list rules", "err", err)
		}
		return
	}
	notify := false
	for _, r := range rules {
		fired, err := e.evaluate(ctx, r, now)
		outcome := map[bool]string{false: StateOK, true: StateFiring}[fired]
		if err != nil {
			outcome = "error"
			if ctx.Err() == nil {
				e.o.Log.Warn("alerts: evaluate", "rule", r.ID, "err", err)
			}
		}
		if e.o.Evaluated != nil {
			e.o.Evaluated(outcome)
		}
		notify = notify || (err == nil && fired != r.State.Firing)
	}
	if notify && e.o.Notify != nil {
		e.o.Notify()
	}
}

// evaluate computes one rule at now and records its state, with an event on a transition. It
// returns whether the rule is firing afterwards.
func (e *Evaluator) evaluate(ctx context.Context, r Rule, now time.Time) (bool, error) {
	to := now.UTC().Truncate(time.Minute).Add(time.Minute) // the current minute included
	from := to.Add(-r.Window)
	body := r.body(from, to)
	sum, err := e.o.Summary.Summarize(ctx, r.Account, r.Bot, body, now)
	if err != nil {
		return r.State.Firing, fmt.Errorf("summary: %w", err)
	}
	value, sessions := r.Value(&sum.Totals)
	cond := r.Holds(value, sessions)
	st := State{Firing: cond, Since: r.State.Since, Value: value, Sessions: sessions, EvaluatedAt: now.UTC()}
	var ev *Event
	if cond != r.State.Firing {
		st.Since = now.UTC()
		state := StateFiring
		if !cond {
			state = StateResolved
		}
		data, _ := json.Marshal(eventData{AlertID: r.ID, AccountID: r.Account, BotID: r.Bot, State: state, Metric: r.MetricName(),
			Condition: r.Condition(), Threshold: r.Threshold, Value: value, Sessions: sessions, MinSessions: r.MinSessions,
			Window: fmt.Sprintf("%dm", r.Window/time.Minute), WindowStart: from, WindowEnd: to, At: now.UTC()})
		ev = &Event{Account: r.Account, Bot: r.Bot, RuleID: r.ID, At: now.UTC(), Body: data}
		if e.o.Transition != nil {
			defer e.o.Transition(state)
		}
	}
	if err := e.o.Store.RecordAlert(ctx, r.ID, st, ev); err != nil {
		return r.State.Firing, fmt.Errorf("record: %w", err)
	}
	return cond, nil
}

// eventData is the data of a com.intentrt.alert event.
type eventData struct {
	AlertID     string    `json:"alertId"`
	AccountID   string    `json:"accountId"`
	BotID       string    `json:"botId"`
	State       string    `json:"state"`
	Metric      string    `json:"metric"`
	Condition   string    `json:"condition"`
	Threshold   float64   `json:"threshold"`
	Value       float64   `json:"value"`
	Sessions    int64     `json:"sessions"`
	MinSessions int64     `json:"minSessions"`
	Window      string    `json:"window"`
	WindowStart time.Time `json:"windowStart"`
	WindowEnd   time.Time `json:"windowEnd"`
	At          time.Time `json:"at"`
}

// body is the summary request of the rule's window: one-minute buckets, UTC.
func (r *Rule) body(from, to time.Time) analytics.Body {
	f, t, b := from.Format(time.RFC3339), to.Format(time.RFC3339), string(analytics.Bucket1m)
	body := analytics.Body{From: &f, To: &t, Bucket: &b}
	if r.Metric == MetricIntentSessions && r.Intent != "" {
		body.Intent = &r.Intent
	}
	return body
}

// Value is the rule's metric in the window's totals, and the window's session count.
func (r *Rule) Value(f *analytics.Figures) (float64, int64) {
	var v float64
	switch r.Metric {
	case MetricDropoffRate:
		v = f.Rate(f.Dropoff)
	case MetricContainmentRate:
		v = f.Rate(f.Completed)
	case MetricTransferRate:
		v = f.Rate(f.AgentTransfer)
	case MetricErrorRate:
		v = f.Rate(f.Error)
	case MetricSessions:
		v = float64(f.Sessions)
	case MetricIntentSessions:
		v = float64(f.Sessions) // filtered to the intent by the request
		if r.Intent == "" {
			v = float64(f.Sessions - f.NoIntent)
		}
	}
	return math.Round(v*1e4) / 1e4, f.Sessions
}

// Holds says whether the condition is true: enough sessions, a defined value, past the
// threshold.
func (r *Rule) Holds(value float64, sessions int64) bool {
	if sessions < r.MinSessions || (IsRate(r.Metric) && sessions == 0) {
		return false
	}
	if r.Above {
		return value > r.Threshold
	}
	return value < r.Threshold
}
