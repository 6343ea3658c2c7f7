package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

// recentSessions renders n session.completed events with status, ending a minute ago.
func recentSessions(prefix, status string, n int) string {
	end := time.Now().UTC().Add(-time.Minute)
	var evs []string
	for i := range n {
		evs = append(evs, fmt.Sprintf(`{"type":"session.completed","sessionId":"%s-%d","channel":"rtm","ANI":"a","DNI":"d","userId":"u",
			"startTime":%q,"endTime":%q,"intents":["Book a Flight"],"status":%q}`, prefix, i,
			end.Add(-time.Minute).Format(time.RFC3339Nano), end.Format(time.RFC3339Nano), status))
	}
	return "[" + strings.Join(evs, ",") + "]"
}

// alertData is the data of a com.intentrt.alert event.
type alertData struct {
	AlertID   string  `json:"alertId"`
	State     string  `json:"state"`
	Metric    string  `json:"metric"`
	Value     float64 `json:"value"`
	Sessions  int64   `json:"sessions"`
	Threshold float64 `json:"threshold"`
}

func alertEvents(t *testing.T, rcv *receiver) []alertData {
	t.Helper()
	var out []alertData
	for _, d := range rcv.deliveries() {
		if d.event.Type != "com.intentrt.alert" {
			t.Fatalf("an alert-only webhook got %s", d.event.Type)
		}
		var a alertData
		if err := json.Unmarshal(d.event.Data, &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// TestAlertFiresAndResolves: a drop-off rate rule fires once when the rate crosses its
// threshold, does not fire again (not even after a restart), and resolves once when the rate
// falls back; a rule whose bot has fewer sessions than --min-sessions never fires. Both reach
// the webhook subscribed to alerts, signed.
func TestAlertFiresAndResolves(t *testing.T) {
	alertScenario(t, filepath.Join(t.TempDir(), "alerts.db"))
}

// TestAlertFiresAndResolvesPostgres is the same on PostgreSQL, where the evaluator holds the
// "alerts" lease.
func TestAlertFiresAndResolvesPostgres(t *testing.T) {
	alertScenario(t, pgtest.DSN(t))
}

func alertScenario(t *testing.T, db string) {
	flags := []string{"--webhooks-allow-private", "--alert-interval", "200ms"}
	s := testserver.StartDB(t, db, flags...)
	const account = "acct-alert"
	app := s.CreateApp(t, testserver.AppSpec{Account: account, Scopes: auth.Scopes})
	tok := app.Token(t)
	rcv := newReceiver(t)
	createWebhook(t, s, rcv, "/alerts", "--account", account, "--all-bots", "--events", "alert")
	var rule struct{ ID string }
	if err := json.Unmarshal([]byte(s.CLI(t, "alerts", "create", "--account", account, "--bot", "b", "--metric", "dropoffRate",
		"--window", "15m", "--above", "0.5", "--min-sessions", "2")), &rule); err != nil || rule.ID == "" {
		t.Fatalf("alerts create: %v", err)
	}
	s.CLI(t, "alerts", "create", "--account", account, "--bot", "quiet", "--metric", "dropoffRate", "--window", "15m", "--above", "0.5", "--min-sessions", "5")

	s.Ingest(t, tok, account, "b", recentSessions("drop", "Dropoff", 3))
	s.Ingest(t, tok, account, "quiet", recentSessions("qdrop", "Dropoff", 1))
	waitFor(t, "the alert to fire", func() bool { return rcv.unique() >= 1 })
	checkFiring(t, s, rcv, rule.ID)

	// Still true: many evaluations, across a restart, and no second "firing".
	time.Sleep(time.Second)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	s = testserver.StartDB(t, s.DB, flags...)
	time.Sleep(time.Second)
	if n := rcv.unique(); n != 1 {
		t.Fatalf("%d alert events while the condition held, want the one firing: %+v", n, alertEvents(t, rcv))
	}
	if v := metricValue(t, s, `intentrt_alert_evaluations_total{outcome="firing"}`); v < 2 {
		t.Errorf("firing evaluations after the restart: %v", v)
	}

	// Ten completed sessions bring the rate to 3/13: resolved, once.
	s.Ingest(t, tok, account, "b", recentSessions("ok", "completed", 10))
	waitFor(t, "the alert to resolve", func() bool { return rcv.unique() >= 2 })
	time.Sleep(600 * time.Millisecond)
	evs := alertEvents(t, rcv)
	if len(evs) != 2 || evs[1].State != "resolved" || evs[1].Sessions != 13 || evs[1].AlertID != rule.ID {
		t.Fatalf("events: %+v", evs)
	}
	rcv.check()
	checkPayloads(t, rcv, "WebhookAlertEvent")
	if v := metricValue(t, s, `intentrt_alert_events_total{state="resolved"}`); v != 1 {
		t.Errorf("resolved events metric %v", v)
	}
	s.CLI(t, "alerts", "delete", rule.ID)
}

// checkFiring: the first alert event is the rule firing, and alerts list says so.
func checkFiring(t *testing.T, s *testserver.Server, rcv *receiver, ruleID string) {
	t.Helper()
	evs := alertEvents(t, rcv)
	if evs[0].State != "firing" || evs[0].AlertID != ruleID || evs[0].Value != 1 || evs[0].Sessions != 3 || evs[0].Metric != "dropoffRate" {
		t.Fatalf("firing event: %+v", evs[0])
	}
	if d := rcv.deliveries()[0]; d.event.Source != "/accounts/acct-alert/bots/b" || d.event.Subject != ruleID {
		t.Fatalf("CloudEvents source/subject: %s %s", d.event.Source, d.event.Subject)
	}
	var list []struct{ ID, State string }
	_ = json.Unmarshal([]byte(s.CLI(t, "alerts", "list")), &list)
	if len(list) != 2 || list[0].State != "firing" || list[1].State != "ok" {
		t.Fatalf("alerts list: %+v", list)
	}

}
