package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/testserver"
)

// koreKeys are the keys of a read API element, in the order the contract fixes.
var koreKeys = []string{"intent", "ANI", "DNI", "channel", "startTime", "endTime", "status", "timeHandled", "deflectedTo", "userId", "sessionId"}

// koreSession is one element of the read API's answer.
type koreSession struct {
	Intent      []string `json:"intent"`
	ANI         string   `json:"ANI"`
	DNI         string   `json:"DNI"`
	Channel     string   `json:"channel"`
	StartTime   string   `json:"startTime"`
	EndTime     string   `json:"endTime"`
	Status      string   `json:"status"`
	TimeHandled string   `json:"timeHandled"`
	DeflectedTo *string  `json:"deflectedTo"`
	UserID      string   `json:"userId"`
	SessionID   string   `json:"sessionId"`
}

// apiEnv is a running server with one app of one account that may read and ingest every bot.
type apiEnv struct {
	s       *testserver.Server
	app     testserver.CreatedApp
	account string
}

func newAPIEnv(t *testing.T, args ...string) apiEnv {
	t.Helper()
	s := testserver.Start(t, args...)
	const account = "64b7f3a2c9e1d4f5a6b7c8d9"
	return apiEnv{s: s, app: s.CreateApp(t, testserver.AppSpec{Account: account}), account: account}
}

func readPath(bot string) string { return "/api/public/bot/" + bot + "/intentrealtimedata" }

func ingestPath(bot string) string { return "/api/public/bot/" + bot + "/sessionevents" }

// ingest stores events (a JSON array) for bot and fails the test unless they are acknowledged.
func (e apiEnv) ingest(t *testing.T, bot, events string) (accepted, duplicates int) {
	t.Helper()
	return e.s.Ingest(t, e.app.Token(t), e.account, bot, events)
}

// read POSTs body (may be empty) to the read API of bot.
func (e apiEnv) read(t *testing.T, bot, body string) (*http.Response, []byte) {
	t.Helper()
	return e.s.Do(t, http.MethodPost, readPath(bot), testserver.Headers(e.app.Token(t), e.account), body)
}

// sessions reads bot and decodes a successful answer.
func (e apiEnv) sessions(t *testing.T, bot, body string) []koreSession {
	t.Helper()
	resp, b := e.read(t, bot, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("read %s with body %q: %d %s", bot, body, resp.StatusCode, b)
	}
	return decodeSessions(t, b)
}

func decodeSessions(t *testing.T, b []byte) []koreSession {
	t.Helper()
	var out []koreSession
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode read answer %s: %v", b, err)
	}
	if out == nil {
		t.Fatalf("read answer %s is not an array", b)
	}
	return out
}

func sessionIDs(ss []koreSession) []string {
	ids := make([]string, len(ss))
	for i, s := range ss {
		ids[i] = s.SessionID
	}
	return ids
}

func byID(t *testing.T, ss []koreSession, id string) koreSession {
	t.Helper()
	for _, s := range ss {
		if s.SessionID == id {
			return s
		}
	}
	t.Fatalf("session %q not in the answer %v", id, sessionIDs(ss))
	return koreSession{}
}

// wantError checks the contract's error answer: the status, the JSON content type and the body
// {"errors":[{"msg":...,"code":status}]} whose msg contains every one of parts.
func wantError(t *testing.T, resp *http.Response, body []byte, status int, parts ...string) string {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("error Content-Type %q", ct)
	}
	var eb struct {
		Errors []struct {
			Msg  string `json:"msg"`
			Code int    `json:"code"`
		} `json:"errors"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&eb); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if len(eb.Errors) != 1 {
		t.Fatalf("error body %s: want exactly one error", body)
	}
	if eb.Errors[0].Code != status {
		t.Errorf("error code %d, want %d", eb.Errors[0].Code, status)
	}
	msg := eb.Errors[0].Msg
	if strings.TrimSpace(msg) == "" {
		t.Errorf("empty error msg")
	}
	for _, goism := range []string{"Go value", "httpapi.", "json.", "[]string", "json: ", "struct"} {
		if strings.Contains(msg, goism) {
			t.Errorf("error msg %q shows an implementation detail (%q)", msg, goism)
		}
	}
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("error msg %q does not mention %q", msg, p)
		}
	}
	return msg
}

// completed renders a session.completed event.
func completed(id, start, end, status string, extra string) string {
	s := fmt.Sprintf(`{"type":"session.completed","sessionId":%q,"channel":"rtm","ANI":"+15550100","DNI":"+18005550100","userId":"u-%s","startTime":%q,"endTime":%q,"status":%q`,
		id, id, start, end, status)
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

func TestReadShape(t *testing.T) {
	e := newAPIEnv(t)
	e.ingest(t, "st-shape", `[
		{"type":"session.started","sessionId":"s-1","time":"2024-01-06T14:07:08.185+00:00","channel":"korevg","ANI":"+15550100","DNI":"+18005550100","userId":"u-1"},
		{"type":"intent.detected","sessionId":"s-1","time":"2024-01-06T14:07:10Z","intent":"Check Balance"},
		{"type":"intent.detected","sessionId":"s-1","time":"2024-01-06T14:07:20Z","intent":"Book a Flight"},
		{"type":"session.ended","sessionId":"s-1","time":"2024-01-06T14:20:16.185+00:00","status":"completed","deflectedTo":"rtm"},
		{"type":"session.completed","sessionId":"s-2","channel":"rtm","ANI":"a","DNI":"d","userId":"u-2","startTime":"2024-01-06T14:00:00Z","endTime":"2024-01-06T14:00:01Z","status":"error"}
	]`)

	resp, body := e.read(t, "st-shape", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}

	t.Run("content type", func(t *testing.T) {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Fatalf("Content-Type %q", ct)
		}
	})
	t.Run("bare array with the 11 keys in order", func(t *testing.T) {
		dec := json.NewDecoder(bytes.NewReader(body))
		tok, err := dec.Token()
		if err != nil || tok != json.Delim('[') {
			t.Fatalf("answer does not start with [: %v %v", tok, err)
		}
		n := 0
		for dec.More() {
			n++
			if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
				t.Fatalf("element %d is not an object: %v %v", n, tok, err)
			}
			var keys []string
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					t.Fatal(err)
				}
				keys = append(keys, k.(string))
				var v json.RawMessage
				if err := dec.Decode(&v); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := dec.Token(); err != nil { // }
				t.Fatal(err)
			}
			if !reflect.DeepEqual(keys, koreKeys) {
				t.Errorf("element %d keys %v, want %v", n, keys, koreKeys)
			}
		}
		if n != 2 {
			t.Fatalf("%d elements, want 2", n)
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
			t.Fatalf("answer does not end with ]: %v %v", tok, err)
		}
		if _, err := dec.Token(); err != io.EOF {
			t.Fatalf("something after the array: %v", err)
		}
	})
	t.Run("values", func(t *testing.T) {
		ss := decodeSessions(t, body)
		rtm := "rtm"
		want := []koreSession{
			{Intent: []string{"Check Balance", "Book a Flight"}, ANI: "+15550100", DNI: "+18005550100", Channel: "korevg",
				StartTime: "2024-01-06T14:07:08.185+00:00", EndTime: "2024-01-06T14:20:16.185+00:00", Status: "completed",
				TimeHandled: "13m 8s", DeflectedTo: &rtm, UserID: "u-1", SessionID: "s-1"},
			{Intent: []string{}, ANI: "a", DNI: "d", Channel: "rtm", StartTime: "2024-01-06T14:00:00.000+00:00",
				EndTime: "2024-01-06T14:00:01.000+00:00", Status: "error", TimeHandled: "1s", UserID: "u-2", SessionID: "s-2"},
		}
		if !reflect.DeepEqual(ss, want) {
			t.Fatalf("got  %+v\nwant %+v", ss, want)
		}
	})
	t.Run("intent is [] and deflectedTo null, never omitted", func(t *testing.T) {
		var raw []map[string]json.RawMessage
		if err := json.Unmarshal(body, &raw); err != nil {
			t.Fatal(err)
		}
		if got := string(raw[1]["intent"]); got != "[]" {
			t.Errorf("intent %s, want []", got)
		}
		if got := string(raw[1]["deflectedTo"]); got != "null" {
			t.Errorf("deflectedTo %s, want null", got)
		}
		if got := string(raw[0]["deflectedTo"]); got != `"rtm"` {
			t.Errorf("deflectedTo %s, want \"rtm\"", got)
		}
	})
	t.Run("no sessions is [] not null", func(t *testing.T) {
		resp, body := e.read(t, "st-empty", "")
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "[]" {
			t.Fatalf("%d %q, want 200 []", resp.StatusCode, body)
		}
	})
}

func TestReadOrderAndLimit(t *testing.T) {
	e := newAPIEnv(t)
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	var events []string
	// 30 sessions, ended one minute apart, ingested oldest last so arrival order is no help.
	for i := 29; i >= 0; i-- {
		end := base.Add(time.Duration(i) * time.Minute)
		events = append(events, completed(fmt.Sprintf("s-%02d", i), end.Add(-time.Minute).Format(time.RFC3339), end.Format(time.RFC3339), "completed", ""))
	}
	// Three sessions ending at the same, newest instant: ties go by sessionId descending.
	tie := base.Add(time.Hour).Format(time.RFC3339Nano)
	for _, id := range []string{"tie-b", "tie-c", "tie-a"} {
		events = append(events, completed(id, base.Format(time.RFC3339), tie, "completed", ""))
	}
	e.ingest(t, "st-order", "["+strings.Join(events, ",")+"]")

	all := []string{"tie-c", "tie-b", "tie-a"}
	for i := 29; i >= 0; i-- {
		all = append(all, fmt.Sprintf("s-%02d", i))
	}

	cases := []struct {
		name string
		body string
		want []string
	}{
		{"default is the 25 newest", "", all[:25]},
		{"limit 1", `{"limit":1}`, all[:1]},
		{"limit 26", `{"limit":26}`, all[:26]},
		{"limit 100 gives all", `{"limit":100}`, all},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := sessionIDs(e.sessions(t, "st-order", c.body))
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %v\nwant %v", got, c.want)
			}
		})
	}
}

func TestReadTimestamps(t *testing.T) {
	e := newAPIEnv(t)
	cases := []struct {
		name, in, want string
	}{
		{"offset +05:30", "2024-01-06T19:37:08.185+05:30", "2024-01-06T14:07:08.185+00:00"},
		{"negative offset across midnight", "2024-01-06T20:07:08.5-08:00", "2024-01-07T04:07:08.500+00:00"},
		{"nanoseconds truncated to millis", "2024-01-06T14:07:08.185999999Z", "2024-01-06T14:07:08.185+00:00"},
		{"no fraction", "2024-01-06T14:07:08Z", "2024-01-06T14:07:08.000+00:00"},
		{"+00:00 kept", "2024-01-06T14:07:08.001+00:00", "2024-01-06T14:07:08.001+00:00"},
	}
	var events []string
	for i, c := range cases {
		// The same instant as start and end exercises both fields.
		events = append(events, completed(fmt.Sprintf("ts-%d", i), c.in, c.in, "completed", ""))
	}
	e.ingest(t, "st-ts", "["+strings.Join(events, ",")+"]")
	ss := e.sessions(t, "st-ts", `{"limit":100}`)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := byID(t, ss, fmt.Sprintf("ts-%d", i))
			if s.StartTime != c.want || s.EndTime != c.want {
				t.Fatalf("startTime %q endTime %q, want %q", s.StartTime, s.EndTime, c.want)
			}
		})
	}
}

func TestReadTimeHandled(t *testing.T) {
	e := newAPIEnv(t)
	cases := []struct {
		sec  int64
		want string
	}{
		{0, "0s"}, {50, "50s"}, {59, "59s"}, {60, "1m 0s"}, {788, "13m 8s"}, {3599, "59m 59s"},
		{3600, "1h 0m 0s"}, {3605, "1h 0m 5s"}, {93780, "26h 3m 0s"},
	}
	start := time.Date(2024, 1, 6, 14, 7, 8, 185_000_000, time.UTC)
	var events []string
	for _, c := range cases {
		// Explicit: the producer's figure wins over end-start (here always 7 s).
		events = append(events, completed(fmt.Sprintf("explicit-%d", c.sec), start.Format(time.RFC3339Nano),
			start.Add(7*time.Second).Format(time.RFC3339Nano), "completed", fmt.Sprintf(`"timeHandled":%d`, c.sec)))
		// Derived: end-start, with a fraction of a second that must be dropped, not rounded.
		end := start.Add(time.Duration(c.sec)*time.Second + 900*time.Millisecond)
		events = append(events, completed(fmt.Sprintf("derived-%d", c.sec), start.Format(time.RFC3339Nano),
			end.Format(time.RFC3339Nano), "completed", ""))
	}
	// The split events carry timeHandled on session.ended.
	events = append(events,
		`{"type":"session.started","sessionId":"split","time":"2024-01-06T14:00:00Z","channel":"rtm"}`,
		`{"type":"session.ended","sessionId":"split","time":"2024-01-06T14:00:10Z","status":"completed","timeHandled":3605}`)
	e.ingest(t, "st-th", "["+strings.Join(events, ",")+"]")
	ss := e.sessions(t, "st-th", `{"limit":100}`)
	for _, c := range cases {
		for _, kind := range []string{"explicit", "derived"} {
			t.Run(fmt.Sprintf("%s %d", kind, c.sec), func(t *testing.T) {
				if got := byID(t, ss, fmt.Sprintf("%s-%d", kind, c.sec)).TimeHandled; got != c.want {
					t.Fatalf("timeHandled %q, want %q", got, c.want)
				}
			})
		}
	}
	t.Run("explicit on session.ended", func(t *testing.T) {
		if got := byID(t, ss, "split").TimeHandled; got != "1h 0m 5s" {
			t.Fatalf("timeHandled %q, want 1h 0m 5s", got)
		}
	})
}

func TestReadStatusAndDeflection(t *testing.T) {
	e := newAPIEnv(t)
	cases := []struct {
		in, want string
	}{
		{"completed", "completed"}, {"COMPLETED", "completed"}, {"Completed", "completed"},
		{"Dropoff", "Dropoff"}, {"DROPOFF", "Dropoff"}, {"dropoff", "Dropoff"},
		{"agentTransfer", "agentTransfer"}, {"AgentTransfer", "agentTransfer"}, {"AGENTTRANSFER", "agentTransfer"},
		{"error", "error"}, {"ERROR", "error"},
	}
	var events []string
	for i, c := range cases {
		events = append(events, completed(fmt.Sprintf("st-%d", i), "2024-01-06T14:00:00Z", "2024-01-06T14:01:00Z", c.in, ""))
	}
	events = append(events,
		completed("defl-null", "2024-01-06T14:00:00Z", "2024-01-06T14:01:00Z", "completed", `"deflectedTo":null`),
		completed("defl-absent", "2024-01-06T14:00:00Z", "2024-01-06T14:01:00Z", "completed", ""),
		completed("defl-rtm", "2024-01-06T14:00:00Z", "2024-01-06T14:01:00Z", "agentTransfer", `"deflectedTo":"RTM"`))
	e.ingest(t, "st-status", "["+strings.Join(events, ",")+"]")
	ss := e.sessions(t, "st-status", `{"limit":100}`)
	for i, c := range cases {
		t.Run("status "+c.in, func(t *testing.T) {
			if got := byID(t, ss, fmt.Sprintf("st-%d", i)).Status; got != c.want {
				t.Fatalf("status %q, want %q", got, c.want)
			}
		})
	}
	t.Run("unknown status is a 400 listing the accepted values", func(t *testing.T) {
		h := testserver.Headers(e.app.Token(t), e.account)
		h["Content-Type"] = "application/json"
		resp, body := e.s.Do(t, http.MethodPost, ingestPath("st-status"), h,
			"["+completed("bad", "2024-01-06T14:00:00Z", "2024-01-06T14:01:00Z", "dropped", "")+"]")
		wantError(t, resp, body, http.StatusBadRequest, "status", "dropped", "completed", "Dropoff", "agentTransfer", "error")
	})
	for _, c := range []struct {
		id   string
		want *string
	}{{"defl-null", nil}, {"defl-absent", nil}, {"defl-rtm", ptr("rtm")}} {
		t.Run("deflectedTo "+c.id, func(t *testing.T) {
			got := byID(t, ss, c.id).DeflectedTo
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("deflectedTo %v, want %v", deref(got), deref(c.want))
			}
		})
	}
}

func ptr(s string) *string { return &s }

func deref(s *string) string {
	if s == nil {
		return "null"
	}
	return fmt.Sprintf("%q", *s)
}

func TestReadOnlyCompleted(t *testing.T) {
	e := newAPIEnv(t)
	e.ingest(t, "st-c", `[
		{"type":"session.started","sessionId":"start-only","time":"2024-01-06T14:00:00Z","channel":"rtm"},
		{"type":"session.ended","sessionId":"end-only","time":"2024-01-06T14:05:00Z","status":"completed"},
		{"type":"intent.detected","sessionId":"intent-only","time":"2024-01-06T14:01:00Z","intent":"Check Balance"}
	]`)
	if got := e.sessions(t, "st-c", ""); len(got) != 0 {
		t.Fatalf("incomplete sessions listed: %v", sessionIDs(got))
	}
	e.ingest(t, "st-c", `[{"type":"session.started","sessionId":"end-only","time":"2024-01-06T14:00:00Z","channel":"rtm"}]`)
	if got := sessionIDs(e.sessions(t, "st-c", "")); !reflect.DeepEqual(got, []string{"end-only"}) {
		t.Fatalf("got %v, want [end-only]", got)
	}
}

func TestReadRoutes(t *testing.T) {
	e := newAPIEnv(t)
	e.ingest(t, "st-r", "["+completed("s-1", "2024-01-06T14:00:00Z", "2024-01-06T14:01:00Z", "completed", "")+"]")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(t *testing.T, method, path string, extra map[string]string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, e.s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range testserver.Headers(e.app.Token(t), e.account) {
			req.Header[k] = []string{v}
		}
		for k, v := range extra {
			req.Header[k] = []string{v}
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	_, want := do(t, http.MethodPost, readPath("st-r"), nil)
	if len(decodeSessions(t, want)) != 1 {
		t.Fatalf("reference answer %s", want)
	}
	cases := []struct {
		name, method, path string
		headers            map[string]string
	}{
		{"GET", http.MethodGet, readPath("st-r"), nil},
		{"POST doubled slash", http.MethodPost, "/api/public/bot/st-r//intentrealtimedata", nil},
		{"GET doubled slash", http.MethodGet, "/api/public/bot/st-r//intentrealtimedata", nil},
		{"Format header ignored", http.MethodPost, readPath("st-r"), map[string]string{"Format": "application/json"}},
		{"odd Format header ignored", http.MethodPost, readPath("st-r"), map[string]string{"Format": "text/csv"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := do(t, c.method, c.path, c.headers)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d (Location %q) %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if !bytes.Equal(body, want) {
				t.Fatalf("got %s\nwant %s", body, want)
			}
		})
	}
	errCases := []struct {
		name, method, path string
		headers            map[string]string
		status             int
	}{
		{"401 without token", http.MethodPost, readPath("st-r"), map[string]string{"auth": ""}, http.StatusUnauthorized},
		{"405 on PUT", http.MethodPut, readPath("st-r"), nil, http.StatusMethodNotAllowed},
		{"404 on an unknown route", http.MethodGet, "/api/public/bot/st-r/nothing", nil, http.StatusNotFound},
		{"403 on another account", http.MethodPost, readPath("st-r"), map[string]string{"accountId": "other"}, http.StatusForbidden},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := do(t, c.method, c.path, c.headers)
			wantError(t, resp, body, c.status)
		})
	}
}

func TestReadBody(t *testing.T) {
	e := newAPIEnv(t)
	day := func(h, m int) string { return time.Date(2025, 5, 1, h, m, 0, 0, time.UTC).Format(time.RFC3339) }
	// id, channel, status, intents, end hour
	e.ingest(t, "st-f", "["+strings.Join([]string{
		`{"type":"session.completed","sessionId":"a","channel":"rtm","startTime":"` + day(9, 0) + `","endTime":"` + day(10, 0) + `","status":"completed","intents":["Check Balance"]}`,
		`{"type":"session.completed","sessionId":"b","channel":"korevg","startTime":"` + day(9, 0) + `","endTime":"` + day(11, 0) + `","status":"Dropoff","intents":["Book a Flight","Check Balance"]}`,
		`{"type":"session.completed","sessionId":"c","channel":"audiocodes","startTime":"` + day(9, 0) + `","endTime":"` + day(12, 0) + `","status":"agentTransfer"}`,
		`{"type":"session.completed","sessionId":"d","channel":"rtm","startTime":"` + day(9, 0) + `","endTime":"` + day(13, 0) + `","status":"Dropoff","intents":["Book a Flight"]}`,
		`{"type":"session.completed","sessionId":"e","channel":"korevg","startTime":"` + day(9, 0) + `","endTime":"` + day(14, 0) + `","status":"error","intents":["Pay Bill"]}`,
	}, ",")+"]")

	all := []string{"e", "d", "c", "b", "a"}
	filters := []struct {
		name, body string
		want       []string
	}{
		{"no body", "", all},
		{"empty object", "{}", all},
		{"null", "null", all},
		{"whitespace", " \n\t ", all},
		{"channels: one", `{"channels":["rtm"]}`, []string{"d", "a"}},
		{"channels: OR, any casing", `{"channels":["RTM","audiocodes"]}`, []string{"d", "c", "a"}},
		{"statuses: OR, any casing", `{"statuses":["dropoff","ERROR"]}`, []string{"e", "d", "b"}},
		{"intents: one", `{"intents":["Check Balance"]}`, []string{"b", "a"}},
		{"intents: OR", `{"intents":["Check Balance","Pay Bill"]}`, []string{"e", "b", "a"}},
		{"AND across fields", `{"channels":["rtm","korevg"],"statuses":["Dropoff"],"intents":["Book a Flight"]}`, []string{"d", "b"}},
		{"AND excludes", `{"channels":["rtm"],"statuses":["error"]}`, []string{}},
		{"empty arrays are no filter", `{"channels":[],"statuses":[],"intents":[]}`, all},
		{"from inclusive", `{"from":"` + day(12, 0) + `"}`, []string{"e", "d", "c"}},
		{"to exclusive", `{"to":"` + day(12, 0) + `"}`, []string{"b", "a"}},
		{"from and to", `{"from":"` + day(11, 0) + `","to":"` + day(13, 0) + `"}`, []string{"c", "b"}},
		{"from with an offset", `{"from":"2025-05-01T17:30:00+05:30"}`, []string{"e", "d", "c"}},
		{"to far in the future", `{"to":"2300-01-01T00:00:00Z"}`, all},
		{"from far in the past", `{"from":"1600-01-01T00:00:00Z"}`, all},
		{"from far in the future", `{"from":"2300-01-01T00:00:00Z"}`, []string{}},
		{"to far in the past", `{"to":"1600-01-01T00:00:00Z"}`, []string{}},
		{"limit with filter", `{"limit":1,"channels":["korevg"]}`, []string{"e"}},
	}
	for _, f := range filters {
		t.Run(f.name, func(t *testing.T) {
			got := sessionIDs(e.sessions(t, "st-f", f.body))
			if !reflect.DeepEqual(got, f.want) {
				t.Fatalf("got %v, want %v", got, f.want)
			}
		})
	}

	bad := []struct {
		name, body string
		parts      []string
	}{
		{"limit 0", `{"limit":0}`, []string{"limit"}},
		{"limit 101", `{"limit":101}`, []string{"limit", "100"}},
		{"limit -1", `{"limit":-1}`, []string{"limit"}},
		{"limit a string", `{"limit":"x"}`, []string{"limit"}},
		{"limit a fraction", `{"limit":2.5}`, []string{"limit"}},
		{"unknown field", `{"limit":5,"botId":"x"}`, []string{"botId"}},
		{"channels not an array", `{"channels":"rtm"}`, []string{"channels"}},
		{"statuses of numbers", `{"statuses":[1]}`, []string{"statuses"}},
		{"unknown status", `{"statuses":["dropped"]}`, []string{"dropped", "Dropoff", "agentTransfer"}},
		{"intents not an array", `{"intents":{"a":1}}`, []string{"intents"}},
		{"intents with a NUL", `{"intents":["a\u0000"]}`, []string{"intents"}},
		{"intents with an empty name", `{"intents":[""]}`, []string{"intents"}},
		{"channels with a control character", `{"channels":["rtm\n"]}`, []string{"channels"}},
		{"from not a time", `{"from":"yesterday"}`, []string{"from"}},
		{"to a number", `{"to":1700000000}`, []string{"to"}},
		{"from after to", `{"from":"` + day(13, 0) + `","to":"` + day(12, 0) + `"}`, []string{"from", "to"}},
		{"an array", `[]`, []string{"object"}},
		{"a string", `"x"`, []string{"object"}},
		{"not JSON", `limit=5`, []string{"JSON"}},
		{"two objects", `{} {}`, []string{"single"}},
		{"truncated", `{"limit":`, []string{"JSON"}},
		// Strict decoding: names exactly as documented, once each, valid UTF-8.
		{"a key in other case", `{"LIMIT":5}`, []string{"LIMIT"}},
		{"a duplicated key", `{"limit":5,"limit":6}`, []string{"limit"}},
		{"a limit in a string", `{"limit":"5"}`, []string{"limit"}},
		{"invalid UTF-8", "{\"channels\":[\"rtm\xff\"]}", []string{"channels"}},
		{"a lone surrogate", `{"intents":["a\ud800"]}`, []string{"intents"}},
	}
	for _, b := range bad {
		t.Run("400 "+b.name, func(t *testing.T) {
			resp, body := e.read(t, "st-f", b.body)
			wantError(t, resp, body, http.StatusBadRequest, b.parts...)
		})
	}
}

// TestReadEscaping: values come back exactly as ingested, whatever characters they hold.
func TestReadEscaping(t *testing.T) {
	e := newAPIEnv(t)
	odd := []string{`He said "hi" \ bye`, `<b>&amp;</b>`, "line\u2028sep\u2029para", "Réserver un vol ✈ 机票 😀", `{"json":[1]}`}
	var events []string
	for i, v := range odd {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, fmt.Sprintf(`{"type":"session.completed","sessionId":"s-%d","channel":"rtm","ANI":%s,"DNI":%s,"userId":"u-%d","startTime":"2024-01-06T14:00:00Z","endTime":"2024-01-06T14:00:0%dZ","intents":[%s,"plain"],"status":"completed"}`,
			i, b, b, i, i, b))
	}
	e.ingest(t, "st-esc", "["+strings.Join(events, ",")+"]")
	resp, body := e.read(t, "st-esc", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if !json.Valid(body) {
		t.Fatalf("answer is not valid JSON: %s", body)
	}
	ss := decodeSessions(t, body)
	if len(ss) != len(odd) {
		t.Fatalf("%d sessions, want %d", len(ss), len(odd))
	}
	for i, v := range odd {
		t.Run(fmt.Sprintf("value %d", i), func(t *testing.T) {
			s := ss[len(odd)-1-i] // newest end first
			if s.ANI != v || s.DNI != v || !reflect.DeepEqual(s.Intent, []string{v, "plain"}) {
				t.Fatalf("got ANI %q DNI %q intents %q, want %q", s.ANI, s.DNI, s.Intent, v)
			}
		})
	}
	t.Run("ids with quotes, backslashes and unicode", func(t *testing.T) {
		id := `q"\<&> ü 😀`
		b, _ := json.Marshal(id)
		e.ingest(t, "st-esc-id", fmt.Sprintf(`[{"type":"session.completed","sessionId":%s,"channel":"rtm","userId":%s,"startTime":"2024-01-06T14:00:00Z","endTime":"2024-01-06T14:00:01Z","status":"completed","deflectedTo":%s}]`, b, b, b))
		ss := e.sessions(t, "st-esc-id", "")
		if len(ss) != 1 || ss[0].SessionID != id || ss[0].UserID != id || ss[0].DeflectedTo == nil || *ss[0].DeflectedTo != strings.ToLower(id) {
			t.Fatalf("got %+v, want ids %q", ss, id)
		}
	})
	t.Run("HTML characters are not escaped", func(t *testing.T) {
		if !bytes.Contains(body, []byte(`<b>&amp;</b>`)) {
			t.Fatalf("answer escapes HTML characters: %s", body)
		}
	})
}
