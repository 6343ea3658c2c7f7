package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/intentrt/intentrt/internal/testserver"
)

// post sends an ingest request with the given content type and returns the raw answer.
func (e apiEnv) post(t *testing.T, bot, contentType, body string) (*http.Response, []byte) {
	t.Helper()
	h := testserver.Headers(e.app.Token(t), e.account)
	if contentType != "" {
		h["Content-Type"] = contentType
	}
	return e.s.Do(t, http.MethodPost, ingestPath(bot), h, body)
}

// postOK posts and decodes the acknowledgement.
func (e apiEnv) postOK(t *testing.T, bot, contentType, body string) (accepted, duplicates int) {
	t.Helper()
	resp, b := e.post(t, bot, contentType, body)
	return ack(t, resp, b)
}

// ack decodes a 200 {"accepted":N,"duplicates":D} strictly.
func ack(t *testing.T, resp *http.Response, body []byte) (accepted, duplicates int) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ingest: %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	var r map[string]int
	if err := json.Unmarshal(body, &r); err != nil || len(r) != 2 {
		t.Fatalf("ack %s: want exactly accepted and duplicates (%v)", body, err)
	}
	a, ok1 := r["accepted"]
	d, ok2 := r["duplicates"]
	if !ok1 || !ok2 {
		t.Fatalf("ack %s: want accepted and duplicates", body)
	}
	return a, d
}

const (
	evStart = `{"type":"session.started","sessionId":"s-1","time":"2024-01-06T14:00:00Z","channel":"korevg","ANI":"+15550100","DNI":"+18005550100","userId":"u-1"}`
	evIntA  = `{"type":"intent.detected","sessionId":"s-1","time":"2024-01-06T14:00:10Z","intent":"Check Balance"}`
	evIntB  = `{"type":"intent.detected","sessionId":"s-1","time":"2024-01-06T14:00:20Z","intent":"Book a Flight"}`
	evEnd   = `{"type":"session.ended","sessionId":"s-1","time":"2024-01-06T14:02:10Z","status":"completed"}`
)

func TestIngestFormats(t *testing.T) {
	e := newAPIEnv(t)
	want := []string{"Check Balance", "Book a Flight"}
	cases := []struct {
		name, contentType, body string
		accepted                int
	}{
		{"JSON array", "application/json", "[" + strings.Join([]string{evStart, evIntA, evIntB, evEnd}, ",") + "]", 4},
		{"JSON array with charset", "application/json; charset=utf-8", "[" + strings.Join([]string{evStart, evIntA, evIntB, evEnd}, ",") + "]", 4},
		{"NDJSON", "application/x-ndjson", strings.Join([]string{evStart, evIntA, evIntB, evEnd}, "\n") + "\n", 4},
		{"NDJSON with blank lines and CRLF", "application/x-ndjson", "\r\n" + strings.Join([]string{evStart, evIntA, "", evIntB, evEnd}, "\r\n"), 4},
		{"single JSON object", "application/json", completed("s-1", "2024-01-06T14:00:00Z", "2024-01-06T14:02:10Z", "completed", `"intents":["Check Balance","Book a Flight"]`), 1},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bot := fmt.Sprintf("st-fmt-%d", i)
			a, d := e.postOK(t, bot, c.contentType, c.body)
			if a != c.accepted || d != 0 {
				t.Fatalf("accepted %d duplicates %d, want %d 0", a, d, c.accepted)
			}
			ss := e.sessions(t, bot, "")
			if len(ss) != 1 || ss[0].SessionID != "s-1" || !reflect.DeepEqual(ss[0].Intent, want) || ss[0].TimeHandled != "2m 10s" {
				t.Fatalf("read back %+v", ss)
			}
		})
	}
	t.Run("empty JSON array is nothing to store", func(t *testing.T) {
		if a, d := e.postOK(t, "st-fmt-empty", "application/json", "[]"); a != 0 || d != 0 {
			t.Fatalf("accepted %d duplicates %d", a, d)
		}
	})
}

func TestIngestIdempotent(t *testing.T) {
	e := newAPIEnv(t)
	t.Run("same request twice", func(t *testing.T) {
		body := "[" + strings.Join([]string{evStart, evIntA, evEnd}, ",") + "]"
		if a, d := e.ingest(t, "st-idem", body); a != 3 || d != 0 {
			t.Fatalf("first: accepted %d duplicates %d", a, d)
		}
		_, before := e.read(t, "st-idem", "")
		if a, d := e.ingest(t, "st-idem", body); a != 0 || d != 3 {
			t.Fatalf("resend: accepted %d duplicates %d, want 0 3", a, d)
		}
		_, after := e.read(t, "st-idem", "")
		if string(before) != string(after) {
			t.Fatalf("resend changed the answer:\n%s\n%s", before, after)
		}
	})
	t.Run("same event twice in one request", func(t *testing.T) {
		if a, d := e.ingest(t, "st-idem2", "["+evStart+","+evStart+"]"); a != 1 || d != 1 {
			t.Fatalf("accepted %d duplicates %d, want 1 1", a, d)
		}
	})
	t.Run("by eventId, whatever the content", func(t *testing.T) {
		bot := "st-evid"
		e.ingest(t, bot, `[`+evStart+`,{"type":"session.ended","eventId":"e-1","sessionId":"s-1","time":"2024-01-06T14:02:10Z","status":"completed"}]`)
		// A later end with the same eventId would win if it were applied.
		if a, d := e.ingest(t, bot, `[{"type":"session.ended","eventId":"e-1","sessionId":"s-1","time":"2024-01-06T15:00:00Z","status":"error"}]`); a != 0 || d != 1 {
			t.Fatalf("accepted %d duplicates %d, want 0 1", a, d)
		}
		ss := e.sessions(t, bot, "")
		if len(ss) != 1 || ss[0].Status != "completed" || ss[0].EndTime != "2024-01-06T14:02:10.000+00:00" {
			t.Fatalf("duplicate eventId changed the session: %+v", ss)
		}
	})
	t.Run("by content without eventId: same instant with another offset", func(t *testing.T) {
		bot := "st-content"
		e.ingest(t, bot, "["+evStart+","+evEnd+"]")
		same := `{"type":"session.ended","sessionId":"s-1","time":"2024-01-06T19:32:10.000+05:30","status":"completed"}`
		if a, d := e.ingest(t, bot, "["+same+"]"); a != 0 || d != 1 {
			t.Fatalf("accepted %d duplicates %d, want 0 1", a, d)
		}
		// Any other content is a new event.
		other := `{"type":"session.ended","sessionId":"s-1","time":"2024-01-06T14:02:10Z","status":"Dropoff"}`
		if a, d := e.ingest(t, bot, "["+other+"]"); a != 1 || d != 0 {
			t.Fatalf("different content: accepted %d duplicates %d, want 1 0", a, d)
		}
	})
	t.Run("the same event for another bot is not a duplicate", func(t *testing.T) {
		e.ingest(t, "st-dupbot-1", "["+evStart+"]")
		if a, d := e.ingest(t, "st-dupbot-2", "["+evStart+"]"); a != 1 || d != 0 {
			t.Fatalf("accepted %d duplicates %d, want 1 0", a, d)
		}
	})
}

func TestIngestOrderTolerant(t *testing.T) {
	e := newAPIEnv(t)
	t.Run("ended before started, in separate requests", func(t *testing.T) {
		bot := "st-ooo"
		e.ingest(t, bot, "["+evEnd+"]")
		if ss := e.sessions(t, bot, ""); len(ss) != 0 {
			t.Fatalf("session shown before its start: %+v", ss)
		}
		e.ingest(t, bot, "["+evIntA+"]")
		if ss := e.sessions(t, bot, ""); len(ss) != 0 {
			t.Fatalf("session shown before its start: %+v", ss)
		}
		e.ingest(t, bot, "["+evStart+"]")
		ss := e.sessions(t, bot, "")
		if len(ss) != 1 || ss[0].Channel != "korevg" || ss[0].Status != "completed" || ss[0].StartTime != "2024-01-06T14:00:00.000+00:00" ||
			!reflect.DeepEqual(ss[0].Intent, []string{"Check Balance"}) {
			t.Fatalf("assembled %+v", ss)
		}
	})
	t.Run("intents in order of detection whatever the arrival", func(t *testing.T) {
		bot := "st-intorder"
		e.ingest(t, bot, `[{"type":"intent.detected","sessionId":"s-1","time":"2024-01-06T14:00:30Z","intent":"C"}]`)
		e.ingest(t, bot, "["+evEnd+`,{"type":"intent.detected","sessionId":"s-1","time":"2024-01-06T14:00:20Z","intent":"B"}]`)
		e.ingest(t, bot, `[{"type":"intent.detected","sessionId":"s-1","time":"2024-01-06T14:00:10+00:00","intent":"A"},`+evStart+`]`)
		// B detected again, earlier: it moves to that earlier detection, and appears once.
		e.ingest(t, bot, `[{"type":"intent.detected","sessionId":"s-1","time":"2024-01-06T14:00:05Z","intent":"B"}]`)
		// C again, later: changes nothing.
		e.ingest(t, bot, `[{"type":"intent.detected","sessionId":"s-1","time":"2024-01-06T14:01:00Z","intent":"C"}]`)
		ss := e.sessions(t, bot, "")
		if len(ss) != 1 || !reflect.DeepEqual(ss[0].Intent, []string{"B", "A", "C"}) {
			t.Fatalf("intents %+v, want [B A C]", ss)
		}
	})
	t.Run("a late intent updates a completed session", func(t *testing.T) {
		bot := "st-late"
		e.ingest(t, bot, "["+evStart+","+evEnd+"]")
		if ss := e.sessions(t, bot, ""); len(ss) != 1 || len(ss[0].Intent) != 0 {
			t.Fatalf("before: %+v", ss)
		}
		e.ingest(t, bot, "["+evIntB+"]")
		if ss := e.sessions(t, bot, ""); len(ss) != 1 || !reflect.DeepEqual(ss[0].Intent, []string{"Book a Flight"}) {
			t.Fatalf("after late intent: %+v", ss)
		}
	})
	t.Run("earliest start and latest end win", func(t *testing.T) {
		bot := "st-conflict"
		e.ingest(t, bot, `[{"type":"session.ended","sessionId":"s-1","time":"2024-01-06T14:10:00Z","status":"error"},
			{"type":"session.started","sessionId":"s-1","time":"2024-01-06T14:01:00Z","channel":"rtm"}]`)
		e.ingest(t, bot, `[{"type":"session.ended","sessionId":"s-1","time":"2024-01-06T14:05:00Z","status":"Dropoff"},
			{"type":"session.started","sessionId":"s-1","time":"2024-01-06T14:00:00Z","channel":"korevg"},
			{"type":"session.started","sessionId":"s-1","time":"2024-01-06T14:02:00Z","channel":"audiocodes"}]`)
		ss := e.sessions(t, bot, "")
		if len(ss) != 1 || ss[0].Channel != "korevg" || ss[0].Status != "error" || ss[0].TimeHandled != "10m 0s" {
			t.Fatalf("got %+v, want korevg/error/10m 0s", ss)
		}
	})
}

func TestIngestAllOrNothing(t *testing.T) {
	e := newAPIEnv(t)
	good := []string{
		`{"type":"session.started","sessionId":"a","time":"2024-01-06T14:00:00Z","channel":"rtm"}`,
		`{"type":"session.ended","sessionId":"a","time":"2024-01-06T14:01:00Z","status":"completed"}`,
		`{"type":"session.started","sessionId":"b","time":"2024-01-06T14:00:00Z","channel":"rtm"}`,
		`{"type":"intent.detected","sessionId":"b","time":"2024-01-06T14:00:30Z","intent":"Pay Bill"}`,
		`{"type":"session.ended","sessionId":"b","time":"2024-01-06T14:02:00Z","status":"Dropoff"}`,
	}
	bad := `{"type":"session.ended","sessionId":"c","time":"2024-01-06T14:02:00Z","status":"finished"}`
	batch := append(append(append([]string{}, good[:4]...), bad), good[4])
	for _, ct := range []string{"application/json", "application/x-ndjson"} {
		t.Run(ct, func(t *testing.T) {
			bot := "st-aon-" + strings.TrimPrefix(ct, "application/")
			body := "[" + strings.Join(batch, ",") + "]"
			if ct == "application/x-ndjson" {
				body = strings.Join(batch, "\n")
			}
			resp, b := e.post(t, bot, ct, body)
			wantError(t, resp, b, http.StatusBadRequest, "event 4", "status", "finished")
			if ss := e.sessions(t, bot, ""); len(ss) != 0 {
				t.Fatalf("a rejected batch left sessions: %+v", ss)
			}
			// Nothing was stored: every good event is new.
			if a, d := e.ingest(t, bot, "["+strings.Join(good, ",")+"]"); a != 5 || d != 0 {
				t.Fatalf("resend of the good events: accepted %d duplicates %d, want 5 0", a, d)
			}
			if ss := e.sessions(t, bot, ""); len(ss) != 2 {
				t.Fatalf("after the good resend: %+v", ss)
			}
		})
	}
}

func TestIngestRejects(t *testing.T) {
	e := newAPIEnv(t)
	st := `"type":"session.started","sessionId":"s","time":"2024-01-06T14:00:00Z","channel":"rtm"`
	cases := []struct {
		name, body string
		parts      []string
	}{
		{"empty body", "", []string{"empty"}},
		{"not JSON", "hello", []string{"JSON"}},
		{"truncated array", "[{" + st + "}", []string{"JSON"}},
		{"array of non-objects", `[1]`, []string{"event 0", "object"}},
		{"unknown event type", `[{"type":"session.paused","sessionId":"s","time":"2024-01-06T14:00:00Z"}]`, []string{"event 0", "type", "session.paused", "session.started"}},
		{"no type", `[{"sessionId":"s","time":"2024-01-06T14:00:00Z"}]`, []string{"type"}},
		{"field of another type", `[{` + st + `,"intent":"x"}]`, []string{"event 0", "intent", "session.started"}},
		{"status on an intent", `[{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:00Z","intent":"x","status":"error"}]`, []string{"status"}},
		{"unknown field", `[{` + st + `,"foo":1}]`, []string{"event 0", "foo"}},
		{"no sessionId", `[{"type":"session.started","time":"2024-01-06T14:00:00Z","channel":"rtm"}]`, []string{"sessionId"}},
		{"sessionId of 129 characters", `[{"type":"session.started","sessionId":"` + strings.Repeat("s", 129) + `","time":"2024-01-06T14:00:00Z","channel":"rtm"}]`, []string{"sessionId"}},
		{"sessionId with a control character", `[{"type":"session.started","sessionId":"a\nb","time":"2024-01-06T14:00:00Z","channel":"rtm"}]`, []string{"sessionId"}},
		{"eventId empty", `[{` + st + `,"eventId":""}]`, []string{"eventId"}},
		{"no time", `[{"type":"intent.detected","sessionId":"s","intent":"x"}]`, []string{"time"}},
		{"time not RFC 3339", `[{"type":"intent.detected","sessionId":"s","time":"06/01/2024 14:00","intent":"x"}]`, []string{"time", "RFC 3339"}},
		{"time without offset", `[{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:00","intent":"x"}]`, []string{"time"}},
		{"time a number", `[{"type":"intent.detected","sessionId":"s","time":1704549600,"intent":"x"}]`, []string{"time"}},
		{"time beyond what can be stored", `[{"type":"intent.detected","sessionId":"s","time":"3000-01-01T00:00:00Z","intent":"x"}]`, []string{"time"}},
		{"no channel on a start", `[{"type":"session.started","sessionId":"s","time":"2024-01-06T14:00:00Z"}]`, []string{"channel"}},
		{"empty intent", `[{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:00Z","intent":" "}]`, []string{"intent"}},
		{"no status on an end", `[{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z"}]`, []string{"status", "Dropoff"}},
		{"timeHandled negative", `[{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"error","timeHandled":-1}]`, []string{"timeHandled"}},
		{"timeHandled fractional", `[{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"error","timeHandled":1.5}]`, []string{"timeHandled"}},
		{"deflectedTo a number", `[{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"error","deflectedTo":5}]`, []string{"deflectedTo"}},
		{"completed without endTime", `[{"type":"session.completed","sessionId":"s","channel":"rtm","startTime":"2024-01-06T14:00:00Z","status":"error"}]`, []string{"endTime"}},
		{"completed ending before it starts", `[{"type":"session.completed","sessionId":"s","channel":"rtm","startTime":"2024-01-06T14:00:00Z","endTime":"2024-01-06T13:00:00Z","status":"error"}]`, []string{"endTime"}},
		{"intents not an array", `[{"type":"session.completed","sessionId":"s","channel":"rtm","startTime":"2024-01-06T14:00:00Z","endTime":"2024-01-06T14:00:00Z","status":"error","intents":"x"}]`, []string{"intents"}},
		{"ANI with a NUL (PostgreSQL cannot store it)", `[{` + st + `,"ANI":"+1555\u0000"}]`, []string{"ANI", "control"}},
		{"intent with a newline", `[{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:00Z","intent":"a\nb"}]`, []string{"intent", "control"}},
		{"intents with a NUL", `[{"type":"session.completed","sessionId":"s","channel":"rtm","startTime":"2024-01-06T14:00:00Z","endTime":"2024-01-06T14:00:00Z","status":"error","intents":["\u0000"]}]`, []string{"intents"}},
		{"userId with a control character", `[{` + st + `,"userId":"u\u0007"}]`, []string{"userId"}},
		{"userId of 129 characters", `[{` + st + `,"userId":"` + strings.Repeat("u", 129) + `"}]`, []string{"userId"}},
		{"intent over 1024 bytes", `[{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:00Z","intent":"` + strings.Repeat("i", 1025) + `"}]`, []string{"intent", "1024"}},
		{"second event bad", `[{` + st + `},{` + st + `,"ANI":7}]`, []string{"event 1", "ANI"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, b := e.post(t, "st-rej", "application/json", c.body)
			wantError(t, resp, b, http.StatusBadRequest, c.parts...)
		})
	}
	if ss := e.sessions(t, "st-rej", ""); len(ss) != 0 {
		t.Fatalf("rejected requests stored sessions: %+v", ss)
	}
	t.Run("415 for text/plain", func(t *testing.T) {
		resp, b := e.post(t, "st-rej", "text/plain", "["+evStart+"]")
		wantError(t, resp, b, http.StatusUnsupportedMediaType, "application/json", "application/x-ndjson")
	})
	t.Run("415 without Content-Type", func(t *testing.T) {
		resp, b := e.post(t, "st-rej", "", "["+evStart+"]")
		wantError(t, resp, b, http.StatusUnsupportedMediaType)
	})
	t.Run("405 for GET", func(t *testing.T) {
		resp, b := e.s.Do(t, http.MethodGet, ingestPath("st-rej"), testserver.Headers(e.app.Token(t), e.account), "")
		wantError(t, resp, b, http.StatusMethodNotAllowed)
	})
}

func TestIngestLimits(t *testing.T) {
	e := newAPIEnv(t, "--max-events", "3", "--max-body", "2048")
	ev := func(i int) string {
		return fmt.Sprintf(`{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:%02dZ","intent":"i%d"}`, i, i)
	}
	events := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, ev(i))
		}
		return out
	}
	big := `{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:00Z","intent":"` + strings.Repeat("x", 1000) + `"}`
	cases := []struct {
		name, ct, body string
		status         int
	}{
		{"3 events in JSON", "application/json", "[" + strings.Join(events(3), ",") + "]", 200},
		{"4 events in JSON", "application/json", "[" + strings.Join(events(4), ",") + "]", 413},
		{"3 events in NDJSON", "application/x-ndjson", strings.Join(events(3), "\n"), 200},
		{"4 events in NDJSON", "application/x-ndjson", strings.Join(events(4), "\n"), 413},
		{"body over 2048 bytes in JSON", "application/json", "[" + big + "," + big + "]", 413},
		{"body over 2048 bytes in NDJSON", "application/x-ndjson", big + "\n" + big, 413},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, b := e.post(t, "st-lim", c.ct, c.body)
			if c.status == 200 {
				ack(t, resp, b)
				return
			}
			wantError(t, resp, b, c.status)
		})
	}
	t.Run("nothing of a refused request is stored", func(t *testing.T) {
		// The 4th event (index 3) was in both refused requests; it is new now.
		if a, d := e.ingest(t, "st-lim", "["+ev(3)+"]"); a != 1 || d != 0 {
			t.Fatalf("accepted %d duplicates %d, want 1 0", a, d)
		}
	})
}

// TestIngestConcurrentProducers sends the same events from several producers at once (as
// retrying producers do): whichever commit groups they land in, each event is accepted exactly
// once and every session is assembled whole.
func TestIngestConcurrentProducers(t *testing.T) {
	e := newAPIEnv(t)
	const producers, sessions = 8, 12
	var events []string
	for i := range sessions {
		id := fmt.Sprintf("s-%02d", i)
		events = append(events,
			fmt.Sprintf(`{"type":"session.started","sessionId":%q,"time":"2024-01-06T14:%02d:00Z","channel":"rtm"}`, id, i),
			fmt.Sprintf(`{"type":"intent.detected","sessionId":%q,"time":"2024-01-06T14:%02d:01Z","intent":"A"}`, id, i),
			fmt.Sprintf(`{"type":"session.ended","sessionId":%q,"time":"2024-01-06T14:%02d:30Z","status":"completed"}`, id, i))
	}
	body := "[" + strings.Join(events, ",") + "]"
	tok := e.app.Token(t)
	type result struct {
		status     int
		body       string
		acc, dupes int
	}
	results := make(chan result, producers)
	for range producers {
		go func() {
			req, err := http.NewRequest(http.MethodPost, e.s.URL+ingestPath("st-conc"), strings.NewReader(body))
			if err != nil {
				results <- result{body: err.Error()}
				return
			}
			req.Header["auth"] = []string{tok}
			req.Header["accountId"] = []string{e.account}
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				results <- result{body: err.Error()}
				return
			}
			defer resp.Body.Close()
			var r struct{ Accepted, Duplicates int }
			err = json.NewDecoder(resp.Body).Decode(&r)
			results <- result{status: resp.StatusCode, body: fmt.Sprint(err), acc: r.Accepted, dupes: r.Duplicates}
		}()
	}
	accepted, duplicates := 0, 0
	for range producers {
		r := <-results
		if r.status != http.StatusOK {
			t.Fatalf("producer: %d %s", r.status, r.body)
		}
		accepted += r.acc
		duplicates += r.dupes
	}
	if accepted != len(events) || duplicates != (producers-1)*len(events) {
		t.Fatalf("accepted %d duplicates %d, want %d and %d", accepted, duplicates, len(events), (producers-1)*len(events))
	}
	ss := e.sessions(t, "st-conc", `{"limit":100}`)
	if len(ss) != sessions {
		t.Fatalf("%d sessions, want %d", len(ss), sessions)
	}
	for _, s := range ss {
		if !reflect.DeepEqual(s.Intent, []string{"A"}) || s.TimeHandled != "30s" {
			t.Fatalf("session assembled wrong: %+v", s)
		}
	}
}

// TestIDRule: every id in the path, header or body is 1-128 printable characters, else a 400.
func TestIDRule(t *testing.T) {
	e := newAPIEnv(t)
	long := strings.Repeat("机", 128) // 128 characters, 384 bytes
	ok := []struct{ name, bot, sessionID string }{
		{"bot with a space", "st%20bot", "s"},
		{"bot of 128 characters", long, "s"},
		{"sessionId of 128 characters", "st-ids", long},
	}
	for _, c := range ok {
		t.Run("accepted: "+c.name, func(t *testing.T) {
			e.ingest(t, c.bot, fmt.Sprintf(`[{"type":"session.completed","sessionId":%q,"channel":"rtm","startTime":"2024-01-06T14:00:00Z","endTime":"2024-01-06T14:00:01Z","status":"error"}]`, c.sessionID))
			ss := e.sessions(t, c.bot, "")
			if len(ss) != 1 || ss[0].SessionID != c.sessionID {
				t.Fatalf("read back %+v", ss)
			}
		})
	}
	bad := []struct{ name, bot, body, part string }{
		{"bot with a newline", "st%0Abot", `[]`, "botId"},
		{"bot of 129 characters", long + "x", `[]`, "botId"},
		{"channel of 129 characters", "st-ids", `[{"type":"session.started","sessionId":"s","time":"2024-01-06T14:00:00Z","channel":"` + strings.Repeat("c", 129) + `"}]`, "channel"},
		{"channel with a control character", "st-ids", `[{"type":"session.started","sessionId":"s","time":"2024-01-06T14:00:00Z","channel":"r\u0001tm"}]`, "channel"},
		{"deflectedTo of 129 characters", "st-ids", `[{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"error","deflectedTo":"` + strings.Repeat("d", 129) + `"}]`, "deflectedTo"},
		{"eventId of 129 characters", "st-ids", `[{"type":"session.ended","eventId":"` + strings.Repeat("e", 129) + `","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"error"}]`, "eventId"},
	}
	for _, c := range bad {
		t.Run("400: "+c.name, func(t *testing.T) {
			resp, b := e.post(t, c.bot, "application/json", c.body)
			wantError(t, resp, b, http.StatusBadRequest, c.part)
		})
	}
	t.Run("400: accountId not UTF-8", func(t *testing.T) {
		// (Go's client will not send a control character in a header; a byte that is not UTF-8 it will.)
		resp, b := e.s.Do(t, http.MethodPost, readPath("st-ids"), testserver.Headers(e.app.Token(t), "acct\xff"), "")
		wantError(t, resp, b, http.StatusBadRequest, "accountId")
	})
}
