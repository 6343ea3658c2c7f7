package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/testserver"
)

// The summary answer as a client decodes it (docs/api.md §6).
type (
	sumTime struct {
		Avg float64 `json:"avg"`
		P50 float64 `json:"p50"`
		P90 float64 `json:"p90"`
	}
	sumFigures struct {
		Intent          string  `json:"intent,omitempty"`
		Channel         string  `json:"channel,omitempty"`
		Start           string  `json:"start,omitempty"`
		Sessions        int     `json:"sessions"`
		Completed       int     `json:"completed"`
		Dropoff         int     `json:"Dropoff"`
		AgentTransfer   int     `json:"agentTransfer"`
		Error           int     `json:"error"`
		Deflected       int     `json:"deflected"`
		NoIntent        int     `json:"noIntent"`
		ContainmentRate float64 `json:"containmentRate"`
		DropoffRate     float64 `json:"dropoffRate"`
		TransferRate    float64 `json:"transferRate"`
		ErrorRate       float64 `json:"errorRate"`
		DeflectionRate  float64 `json:"deflectionRate"`
		TimeHandled     sumTime `json:"timeHandled"`
	}
	sumAnswer struct {
		From        string       `json:"from"`
		To          string       `json:"to"`
		Bucket      string       `json:"bucket"`
		Timezone    string       `json:"timezone"`
		Totals      sumFigures   `json:"totals"`
		Previous    sumFigures   `json:"previous"`
		Intents     []sumFigures `json:"intents"`
		Channels    []sumFigures `json:"channels"`
		DeflectedTo []struct {
			Channel  string `json:"channel"`
			Sessions int    `json:"sessions"`
		} `json:"deflectedTo"`
		Series     []sumFigures `json:"series"`
		InProgress int          `json:"inProgress"`
		AsOf       string       `json:"asOf"`
	}
)

func summaryPath(bot string) string { return readPath(bot) + "/summary" }

// summarize asks s for the summary of bot and decodes a 200 strictly.
func summarize(t *testing.T, s *testserver.Server, tok, account, bot, body string) sumAnswer {
	t.Helper()
	resp, b := s.Do(t, http.MethodPost, summaryPath(bot), testserver.Headers(tok, account), body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("summary %s: %d %s", body, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("summary Content-Type %q", ct)
	}
	var out sumAnswer
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode summary %s: %v", b, err)
	}
	return out
}

// pct is what a percentile of these whole seconds reads in the answer: the middle of the
// histogram bin holding it (docs/analytics.md), exact below 50 s.
func pct(sec int64) float64 { return analytics.BinValue(analytics.Bin(sec)) }

// figs builds expected figures from counts and handled seconds (sorted ascending).
func figs(completed, dropoff, transfer, errs, deflected, noIntent int, handled ...int64) sumFigures {
	n := completed + dropoff + transfer + errs
	f := sumFigures{Sessions: n, Completed: completed, Dropoff: dropoff, AgentTransfer: transfer, Error: errs,
		Deflected: deflected, NoIntent: noIntent}
	if n == 0 {
		return f
	}
	rate := func(k int) float64 { return float64(k) / float64(n) }
	f.ContainmentRate, f.DropoffRate, f.TransferRate, f.ErrorRate, f.DeflectionRate =
		rate(completed), rate(dropoff), rate(transfer), rate(errs), rate(deflected)
	var sum int64
	for _, h := range handled {
		sum += h
	}
	rank := func(p int) int64 { return handled[(p*len(handled)+99)/100-1] }
	f.TimeHandled = sumTime{Avg: analytics.Avg(sum, int64(len(handled))), P50: pct(rank(50)), P90: pct(rank(90))}
	return f
}

func named(kind, name string, f sumFigures) sumFigures {
	if kind == "intent" {
		f.Intent = name
	} else {
		f.Channel = name
	}
	return f
}

// TestSummaryExactFigures ingests a hand-made day — every status, deflections, sessions without
// intent, one still in progress, one in the previous window — and checks every figure of the
// answer, then that a late intent and a changed outcome move them.
func TestSummaryExactFigures(t *testing.T) {
	e := newAPIEnv(t)
	const bot = "st-sum"
	now := time.Now().UTC()
	e.ingest(t, bot, `[
		{"type":"session.completed","sessionId":"p1","channel":"twiliovoice","startTime":"2026-11-24T09:00:00Z","endTime":"2026-11-24T09:00:10Z","status":"completed"},
		{"type":"session.completed","sessionId":"a1","channel":"rtm","startTime":"2026-11-24T10:00:00Z","endTime":"2026-11-24T10:01:40Z","status":"completed","intents":["Book a Flight"]},
		{"type":"session.started","sessionId":"a2","time":"2026-11-24T10:10:00Z","channel":"RTM"},
		{"type":"session.ended","sessionId":"a2","time":"2026-11-24T10:10:30Z","status":"dropoff"},
		{"type":"session.started","sessionId":"a3","time":"2026-11-24T10:20:00Z","channel":"audiocodes"},
		{"type":"intent.detected","sessionId":"a3","time":"2026-11-24T10:20:05Z","intent":"Book a Flight"},
		{"type":"intent.detected","sessionId":"a3","time":"2026-11-24T10:21:00Z","intent":"Refund"},
		{"type":"session.ended","sessionId":"a3","time":"2026-11-24T10:25:00Z","status":"agentTransfer","deflectedTo":"rtm"},
		{"type":"session.completed","sessionId":"a4","channel":"korevg","startTime":"2026-11-24T11:00:00Z","endTime":"2026-11-24T11:00:50Z","status":"error","intents":["Refund"],"timeHandled":40},
		{"type":"session.completed","sessionId":"a5","channel":"rtm","startTime":"2026-11-24T11:30:00Z","endTime":"2026-11-24T11:32:00Z","status":"completed","deflectedTo":"korevg"},
		{"type":"session.started","sessionId":"live","time":"`+now.Add(-10*time.Minute).Format(time.RFC3339)+`","channel":"rtm"},
		{"type":"session.started","sessionId":"stale","time":"`+now.Add(-30*time.Hour).Format(time.RFC3339)+`","channel":"rtm"}
	]`)
	// The same session sent again by its producer changes nothing.
	e.ingest(t, bot, `[{"type":"session.completed","sessionId":"a1","eventId":"again","channel":"rtm","startTime":"2026-11-24T10:00:00Z","endTime":"2026-11-24T10:01:40Z","status":"completed","intents":["Book a Flight"]}]`)

	const body = `{"from":"2026-11-24T10:00:00Z","to":"2026-11-24T12:00:00Z","bucket":"1h","top":5}`
	got := summarize(t, e.s, e.app.Token(t), e.account, bot, body)
	want := sumAnswer{
		From: "2026-11-24T10:00:00.000+00:00", To: "2026-11-24T12:00:00.000+00:00", Bucket: "1h", Timezone: "UTC",
		Totals:   figs(2, 1, 1, 1, 2, 2, 30, 40, 100, 120, 300),
		Previous: figs(1, 0, 0, 0, 0, 1, 10),
		Intents: []sumFigures{
			named("intent", "Book a Flight", figs(1, 0, 1, 0, 1, 0, 100, 300)),
			named("intent", "Refund", figs(0, 0, 1, 1, 1, 0, 40, 300)),
		},
		Channels: []sumFigures{
			named("channel", "rtm", figs(2, 1, 0, 0, 1, 2, 30, 100, 120)),
			named("channel", "audiocodes", figs(0, 0, 1, 0, 1, 0, 300)),
			named("channel", "korevg", figs(0, 0, 0, 1, 0, 0, 40)),
		},
		Series:     []sumFigures{figs(1, 1, 1, 0, 1, 1, 30, 100, 300), figs(1, 0, 0, 1, 1, 1, 40, 120)},
		InProgress: 1,
	}
	want.Intents[0].Intent, want.Intents[1].Intent = "Book a Flight", "Refund"
	want.Series[0].Start, want.Series[1].Start = "2026-11-24T10:00:00.000+00:00", "2026-11-24T11:00:00.000+00:00"
	want.DeflectedTo = append(want.DeflectedTo, struct {
		Channel  string `json:"channel"`
		Sessions int    `json:"sessions"`
	}{"korevg", 1}, struct {
		Channel  string `json:"channel"`
		Sessions int    `json:"sessions"`
	}{"rtm", 1})
	checkSummary(t, got, want)

	// A late intent on a5 and a changed outcome of a2 (its producer ends it again, later).
	e.ingest(t, bot, `[
		{"type":"intent.detected","sessionId":"a5","time":"2026-11-24T11:31:00Z","intent":"Check Status"},
		{"type":"session.ended","sessionId":"a2","time":"2026-11-24T10:10:40Z","status":"completed"}
	]`)
	got = summarize(t, e.s, e.app.Token(t), e.account, bot, body)
	want.Totals = figs(3, 0, 1, 1, 2, 1, 40, 40, 100, 120, 300)
	want.Intents = append(want.Intents, named("intent", "Check Status", figs(1, 0, 0, 0, 1, 0, 120)))
	want.Channels[0] = named("channel", "rtm", figs(3, 0, 0, 0, 1, 1, 40, 100, 120))
	want.Series[0] = figs(2, 0, 1, 0, 1, 1, 40, 100, 300)
	want.Series[0].Start = "2026-11-24T10:00:00.000+00:00"
	want.Series[1] = figs(1, 0, 0, 1, 1, 0, 40, 120)
	want.Series[1].Start = "2026-11-24T11:00:00.000+00:00"
	checkSummary(t, got, want)

	// Filters apply to every part: rtm only, and one intent.
	got = summarize(t, e.s, e.app.Token(t), e.account, bot, `{"from":"2026-11-24T10:00:00Z","to":"2026-11-24T12:00:00Z","channels":["RTM"],"intent":"Check Status"}`)
	if got.Totals.Sessions != 1 || len(got.Intents) != 1 || got.Intents[0].Intent != "Check Status" || len(got.Channels) != 1 ||
		got.Channels[0].Channel != "rtm" || got.InProgress != 1 || got.Previous.Sessions != 0 {
		t.Fatalf("filtered summary: %+v", got)
	}
}

func checkSummary(t *testing.T, got, want sumAnswer) {
	t.Helper()
	asOf, err := time.Parse("2006-01-02T15:04:05.000-07:00", got.AsOf)
	if err != nil || !strings.HasSuffix(got.AsOf, "+00:00") || time.Since(asOf) > time.Minute || time.Since(asOf) < -time.Minute {
		t.Errorf("asOf %q", got.AsOf)
	}
	got.AsOf = ""
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("summary\n got %s\nwant %s", g, w)
	}
}

// TestSummaryDSTDay: a 1d series in Europe/Berlin across the end of summer time has a 25-hour
// day, and a session counts on its local day, not its UTC one.
func TestSummaryDSTDay(t *testing.T) {
	e := newAPIEnv(t)
	const bot = "st-dst"
	e.ingest(t, bot, `[
		{"type":"session.completed","sessionId":"d1","channel":"rtm","startTime":"2026-10-25T22:29:00Z","endTime":"2026-10-25T22:30:00Z","status":"completed"},
		{"type":"session.completed","sessionId":"d2","channel":"rtm","startTime":"2026-10-25T23:29:00Z","endTime":"2026-10-25T23:30:00Z","status":"Dropoff"},
		{"type":"session.completed","sessionId":"d3","channel":"rtm","startTime":"2026-10-24T21:59:00Z","endTime":"2026-10-24T22:00:00Z","status":"completed"}
	]`)
	got := summarize(t, e.s, e.app.Token(t), e.account, bot,
		`{"from":"2026-10-24T00:00:00+02:00","to":"2026-10-27T00:00:00+01:00","bucket":"1d","timezone":"Europe/Berlin"}`)
	var starts []string
	var counts []int
	for _, p := range got.Series {
		starts, counts = append(starts, p.Start), append(counts, p.Sessions)
	}
	wantStarts := []string{"2026-10-24T00:00:00.000+02:00", "2026-10-25T00:00:00.000+02:00", "2026-10-26T00:00:00.000+01:00"}
	// d3 ends at 00:00 local on the 25th; d1 at 23:30 local on the 25th (the 25-hour day);
	// d2 at 00:30 local on the 26th, although both d1 and d2 end on the 25th in UTC.
	if !reflect.DeepEqual(starts, wantStarts) || !reflect.DeepEqual(counts, []int{0, 2, 1}) {
		t.Fatalf("series starts %v counts %v", starts, counts)
	}
	day := func(s string) time.Time { v, _ := time.Parse("2006-01-02T15:04:05.000-07:00", s); return v }
	if h := day(wantStarts[2]).Sub(day(wantStarts[1])); h != 25*time.Hour {
		t.Fatalf("the 25th lasts %v", h)
	}
	if got.From != wantStarts[0] || got.To != "2026-10-27T00:00:00.000+01:00" || got.Timezone != "Europe/Berlin" {
		t.Fatalf("window %s – %s %s", got.From, got.To, got.Timezone)
	}
}

// TestSummaryErrors: bad bodies are 400s naming the field and change nothing; authorisation,
// scope and the read rate limit apply as on the read API.
func TestSummaryErrors(t *testing.T) {
	s := testserver.Start(t, "--rate-limit-account", "acct-rl=3")
	const acct, bot = "acct-se", "st-se"
	app := s.CreateApp(t, testserver.AppSpec{Account: acct, Bots: []string{bot}})
	tok := app.Token(t)
	for _, c := range []struct{ body, field, part string }{
		{`{"window":"1h"}`, "window", "not a known field"},
		{`{"bucket":"1h","bucket":"1d"}`, "bucket", "more than once"},
		{`{"Bucket":"1h"}`, "Bucket", "not a known field"},
		{`{"bucket":"2h"}`, "bucket", "2h"},
		{`{"bucket":5}`, "bucket", "string"},
		{`{"timezone":"Mars/Olympus"}`, "timezone", "Mars/Olympus"},
		{`{"timezone":"Local"}`, "timezone", ""},
		{`{"from":"yesterday"}`, "from", ""},
		{`{"to":"2026-13-01T00:00:00Z"}`, "to", ""},
		{`{"from":"2026-11-25T00:00:00Z","to":"2026-11-24T00:00:00Z"}`, "from", ""},
		{`{"from":"2026-11-01T00:00:00Z","to":"2026-11-25T00:00:00Z","bucket":"1m"}`, "from", "1500"},
		{`{"top":0}`, "top", ""},
		{`{"top":101}`, "top", ""},
		{`{"top":"3"}`, "top", "integer"},
		{`{"channels":"rtm"}`, "channels", "array"},
		{`[]`, "", "JSON object"},
		{`{"top":3}{}`, "", "single JSON object"},
	} {
		resp, b := s.Do(t, http.MethodPost, summaryPath(bot), testserver.Headers(tok, acct), c.body)
		parts := []string{c.part}
		if c.field != "" {
			parts = append(parts, fmt.Sprintf("%q", c.field))
		}
		wantError(t, resp, b, http.StatusBadRequest, parts...)
	}

	ingestOnly := s.CreateApp(t, testserver.AppSpec{Account: acct, Bots: []string{bot}, Scopes: []auth.Scope{auth.ScopeIngest}})
	for _, c := range []struct {
		name    string
		headers map[string]string
		bot     string
		status  int
	}{
		{"no token", map[string]string{"accountId": acct}, bot, http.StatusUnauthorized},
		{"no accountId", map[string]string{"auth": tok}, bot, http.StatusBadRequest},
		{"other account", testserver.Headers(tok, "acct-other"), bot, http.StatusForbidden},
		{"other bot", testserver.Headers(tok, acct), "st-elsewhere", http.StatusForbidden},
		{"ingest scope only", testserver.Headers(ingestOnly.Token(t), acct), bot, http.StatusForbidden},
	} {
		resp, b := s.Do(t, http.MethodPost, summaryPath(c.bot), c.headers, "{}")
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, resp.StatusCode, b, c.status)
		}
	}
	if resp, b := s.Do(t, http.MethodGet, summaryPath(bot), testserver.Headers(tok, acct), ""); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %d %s", resp.StatusCode, b)
	}

	// The summary and the read API share the account's budget: 3 a minute here.
	rl := s.CreateApp(t, testserver.AppSpec{Account: "acct-rl"})
	rlTok := rl.Token(t)
	for i, p := range []string{summaryPath("st-rl"), readPath("st-rl"), "/api/public/bot/st-rl//intentrealtimedata/summary"} {
		if resp, b := s.Do(t, http.MethodPost, p, testserver.Headers(rlTok, "acct-rl"), ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d (%s): %d %s", i, p, resp.StatusCode, b)
		}
	}
	resp, b := s.Do(t, http.MethodPost, summaryPath("st-rl"), testserver.Headers(rlTok, "acct-rl"), "")
	wantError(t, resp, b, http.StatusTooManyRequests, "rate limit")
	if resp.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
}
