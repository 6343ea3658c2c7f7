package analytics_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/analytics/analyticstest"
	"github.com/intentrt/intentrt/internal/session"
)

func TestSummaryJSONShape(t *testing.T) {
	at := func(s string) time.Time { tt, _ := time.Parse(time.RFC3339, s); return tt }
	mk := func(ch, end string, handled int64, st session.Status, defl string, intents ...string) *session.State {
		s := &session.State{Channel: ch, End: at(end), Status: st}
		s.Start = s.End.Add(-time.Duration(handled) * time.Second)
		if defl != "" {
			s.DeflectedTo = &defl
		}
		for _, in := range intents {
			s.Intents = append(s.Intents, session.Intent{Name: in, At: s.Start})
		}
		return s
	}
	sessions := []*session.State{
		mk("rtm", "2026-11-30T09:10:00Z", 60, session.StatusCompleted, "", "Book a Flight"),
		mk("rtm", "2026-11-30T09:20:00Z", 120, session.StatusDropoff, "sms", "Book a Flight", "Cancel"),
		mk("korevg", "2026-11-30T10:05:00Z", 30, session.StatusAgentTransfer, ""),
		mk("korevg", "2026-11-30T08:30:00Z", 10, session.StatusError, ""), // previous window
	}
	table := analyticstest.Table{}
	for _, s := range sessions {
		if err := table.Apply(analytics.Delta(nil, s)); err != nil {
			t.Fatal(err)
		}
	}
	body := analytics.Body{From: ptr("2026-11-30T10:00:00+01:00"), To: ptr("2026-11-30T11:30:00+01:00"),
		Timezone: ptr("Europe/Berlin")}
	now := at("2026-11-30T10:30:00Z")
	req, err := body.Resolve(now)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := analytics.Summarize(req, table.Rows(), 3, now.Add(412*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(&sum)
	if err != nil {
		t.Fatal(err)
	}
	const zero = `"sessions":0,"completed":0,"Dropoff":0,"agentTransfer":0,"error":0,"deflected":0,"noIntent":0,` +
		`"containmentRate":0,"dropoffRate":0,"transferRate":0,"errorRate":0,"deflectionRate":0,"timeHandled":{"avg":0,"p50":0,"p90":0}}`
	want := `{"from":"2026-11-30T10:00:00.000+01:00","to":"2026-11-30T12:00:00.000+01:00","bucket":"1h","timezone":"Europe/Berlin",` +
		`"totals":{"sessions":3,"completed":1,"Dropoff":1,"agentTransfer":1,"error":0,"deflected":1,"noIntent":1,` +
		`"containmentRate":0.3333333333333333,"dropoffRate":0.3333333333333333,"transferRate":0.3333333333333333,"errorRate":0,` +
		`"deflectionRate":0.3333333333333333,"timeHandled":{"avg":70,"p50":60,"p90":121}},` +
		`"previous":{"sessions":1,"completed":0,"Dropoff":0,"agentTransfer":0,"error":1,"deflected":0,"noIntent":1,` +
		`"containmentRate":0,"dropoffRate":0,"transferRate":0,"errorRate":1,"deflectionRate":0,"timeHandled":{"avg":10,"p50":10,"p90":10}},` +
		`"intents":[{"intent":"Book a Flight","sessions":2,"completed":1,"Dropoff":1,"agentTransfer":0,"error":0,"deflected":1,"noIntent":0,` +
		`"containmentRate":0.5,"dropoffRate":0.5,"transferRate":0,"errorRate":0,"deflectionRate":0.5,"timeHandled":{"avg":90,"p50":60,"p90":121}},` +
		`{"intent":"Cancel","sessions":1,"completed":0,"Dropoff":1,"agentTransfer":0,"error":0,"deflected":1,"noIntent":0,` +
		`"containmentRate":0,"dropoffRate":1,"transferRate":0,"errorRate":0,"deflectionRate":1,"timeHandled":{"avg":120,"p50":121,"p90":121}}],` +
		`"channels":[{"channel":"rtm","sessions":2,"completed":1,"Dropoff":1,"agentTransfer":0,"error":0,"deflected":1,"noIntent":0,` +
		`"containmentRate":0.5,"dropoffRate":0.5,"transferRate":0,"errorRate":0,"deflectionRate":0.5,"timeHandled":{"avg":90,"p50":60,"p90":121}},` +
		`{"channel":"korevg","sessions":1,"completed":0,"Dropoff":0,"agentTransfer":1,"error":0,"deflected":0,"noIntent":1,` +
		`"containmentRate":0,"dropoffRate":0,"transferRate":1,"errorRate":0,"deflectionRate":0,"timeHandled":{"avg":30,"p50":30,"p90":30}}],` +
		`"deflectedTo":[{"channel":"sms","sessions":1}],` +
		`"series":[{"start":"2026-11-30T10:00:00.000+01:00","sessions":2,"completed":1,"Dropoff":1,"agentTransfer":0,"error":0,"deflected":1,"noIntent":0,` +
		`"containmentRate":0.5,"dropoffRate":0.5,"transferRate":0,"errorRate":0,"deflectionRate":0.5,"timeHandled":{"avg":90,"p50":60,"p90":121}},` +
		`{"start":"2026-11-30T11:00:00.000+01:00","sessions":1,"completed":0,"Dropoff":0,"agentTransfer":1,"error":0,"deflected":0,"noIntent":1,` +
		`"containmentRate":0,"dropoffRate":0,"transferRate":1,"errorRate":0,"deflectionRate":0,"timeHandled":{"avg":30,"p50":30,"p90":30}}],` +
		`"inProgress":3,"asOf":"2026-11-30T10:30:00.412+00:00"}`
	if string(got) != want {
		t.Fatalf("JSON\n got %s\nwant %s", got, want)
	}
	if !json.Valid(got) {
		t.Fatal("invalid JSON")
	}

	// No sessions at all: every figure 0, lists empty but present.
	empty, err := analytics.Summarize(req, nil, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = json.Marshal(&empty)
	want = `{"from":"2026-11-30T10:00:00.000+01:00","to":"2026-11-30T12:00:00.000+01:00","bucket":"1h","timezone":"Europe/Berlin",` +
		`"totals":{` + zero + `,"previous":{` + zero + `,"intents":[],"channels":[],"deflectedTo":[],` +
		`"series":[{"start":"2026-11-30T10:00:00.000+01:00",` + zero + `,{"start":"2026-11-30T11:00:00.000+01:00",` + zero + `],` +
		`"inProgress":0,"asOf":"2026-11-30T10:30:00.000+00:00"}`
	if string(got) != want {
		t.Fatalf("empty JSON\n got %s\nwant %s", got, want)
	}
}
