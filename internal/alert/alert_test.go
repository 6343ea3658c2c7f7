package alert

import (
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
)

func f(v float64) *float64 { return &v }

func TestNewRuleValidates(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		metric       string
		window       time.Duration
		above, below *float64
		min          int64
		want         string
	}{
		{"dropoff", 15 * time.Minute, f(0.3), nil, 0, "--metric"},
		{"sessions:x", 15 * time.Minute, f(3), nil, 0, "only intentSessions"},
		{"dropoffRate", 90 * time.Second, f(0.3), nil, 0, "--window"},
		{"dropoffRate", 25 * time.Hour, f(0.3), nil, 0, "--window"},
		{"dropoffRate", 15 * time.Minute, nil, nil, 0, "--above"},
		{"dropoffRate", 15 * time.Minute, f(0.3), f(0.1), 0, "--above"},
		{"dropoffRate", 15 * time.Minute, f(30), nil, 0, "between 0 and 1"},
		{"sessions", 15 * time.Minute, nil, f(3), -1, "--min-sessions"},
	} {
		if _, err := NewRule("a", "b", tc.metric, tc.window, tc.above, tc.below, tc.min, now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error with %q", tc, err, tc.want)
		}
	}
	r, err := NewRule("a", "b", "intentSessions:Book a Flight", time.Hour, nil, f(5), 0, now)
	if err != nil || r.Metric != MetricIntentSessions || r.Intent != "Book a Flight" || r.Above || r.MetricName() != "intentSessions:Book a Flight" {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestValueAndHolds(t *testing.T) {
	fig := analytics.Figures{Sessions: 10, Completed: 6, Dropoff: 3, AgentTransfer: 1, NoIntent: 4}
	for metric, want := range map[string]float64{
		MetricDropoffRate: 0.3, MetricContainmentRate: 0.6, MetricTransferRate: 0.1, MetricErrorRate: 0,
		MetricSessions: 10, MetricIntentSessions: 6,
	} {
		r := Rule{Metric: metric}
		if v, n := r.Value(&fig); v != want || n != 10 {
			t.Errorf("%s = %v (%d sessions), want %v", metric, v, n, want)
		}
	}
	above := Rule{Metric: MetricDropoffRate, Above: true, Threshold: 0.25, MinSessions: 5}
	if !above.Holds(0.3, 10) || above.Holds(0.3, 4) || above.Holds(0.25, 10) {
		t.Fatal("above: threshold or min-sessions wrong")
	}
	below := Rule{Metric: MetricContainmentRate, Threshold: 0.5}
	if below.Holds(0, 0) {
		t.Fatal("a rate over no sessions is not 0: it must not fire")
	}
	quiet := Rule{Metric: MetricSessions, Threshold: 1}
	if !quiet.Holds(0, 0) {
		t.Fatal("sessions below 1 with none in the window holds")
	}
}
