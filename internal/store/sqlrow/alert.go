package sqlrow

import (
	"time"

	"github.com/intentrt/intentrt/internal/alert"
)

// RuleColumns is the column order of an alert rule in every SQL backend: the rule, then its
// state (RuleStateColumns).
const RuleColumns = `id, account, bot, metric, intent, window_s, op, threshold, min_sessions, created_at, ` + RuleStateColumns

// RuleStateColumns are the columns of a rule's evaluation state, in RuleStateArgs order.
const RuleStateColumns = `firing, since_ns, last_value, last_sessions, evaluated_ns`

// AlertEventColumns is the column order of an alert event.
const AlertEventColumns = `seq, account, bot, rule_id, at_ns, body`

// RuleArgs returns the values of r in RuleColumns order.
func RuleArgs(r alert.Rule) []any {
	return append([]any{r.ID, r.Account, r.Bot, r.Metric, r.Intent, int64(r.Window / time.Second), r.Condition(), r.Threshold,
		r.MinSessions, r.CreatedAt.UnixNano()}, RuleStateArgs(r.State)...)
}

// RuleStateArgs returns the values of st in RuleStateColumns order.
func RuleStateArgs(st alert.State) []any {
	return []any{st.Firing, unixOrZero(st.Since), st.Value, st.Sessions, unixOrZero(st.EvaluatedAt)}
}

// ScanRule reads a row selected with RuleColumns.
func ScanRule(sc Scanner) (alert.Rule, error) {
	var (
		r                alert.Rule
		window, created  int64
		op               string
		since, evaluated int64
	)
	if err := sc.Scan(&r.ID, &r.Account, &r.Bot, &r.Metric, &r.Intent, &window, &op, &r.Threshold, &r.MinSessions, &created,
		&r.State.Firing, &since, &r.State.Value, &r.State.Sessions, &evaluated); err != nil {
		return r, err
	}
	r.Window = time.Duration(window) * time.Second
	r.Above = op == "above"
	r.CreatedAt = time.Unix(0, created).UTC()
	r.State.Since, r.State.EvaluatedAt = fromNanos(since), fromNanos(evaluated)
	return r, nil
}

// ScanAlertEvent reads a row selected with AlertEventColumns.
func ScanAlertEvent(sc Scanner) (alert.Event, error) {
	var (
		ev   alert.Event
		at   int64
		body string
	)
	err := sc.Scan(&ev.Seq, &ev.Account, &ev.Bot, &ev.RuleID, &at, &body)
	ev.At, ev.Body = time.Unix(0, at).UTC(), []byte(body)
	return ev, err
}
