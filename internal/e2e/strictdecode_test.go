package e2e

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/testserver"
)

// strictCases are events that loose decoding accepted (issue 9, findings 3 and 4); each must be
// refused naming the field. They follow one good event, so the bad one is event 1.
var strictCases = []struct {
	name, event, field string
}{
	{"sessionId with byte FF", `{"type":"session.started","sessionId":"s` + "\xff" + `","time":"2024-01-06T14:00:00Z","channel":"rtm"}`, "sessionId"},
	{"sessionId with byte FE", `{"type":"session.started","sessionId":"s` + "\xfe" + `","time":"2024-01-06T14:00:00Z","channel":"rtm"}`, "sessionId"},
	{"sessionId with a lone surrogate", `{"type":"session.started","sessionId":"s\ud800","time":"2024-01-06T14:00:00Z","channel":"rtm"}`, "sessionId"},
	{"a name in capitals", `{"type":"session.started","SESSIONID":"s","time":"2024-01-06T14:00:00Z","channel":"rtm"}`, "SESSIONID"},
	{"a name in lowercase", `{"type":"session.completed","sessionId":"s","channel":"rtm","starttime":"2024-01-06T14:00:00Z","endTime":"2024-01-06T14:01:00Z","status":"completed"}`, "starttime"},
	{"a second status in capitals", `{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:01:00Z","status":"completed","STATUS":"error"}`, "STATUS"},
	{"a duplicate status", `{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:01:00Z","status":"completed","status":"error"}`, "status"},
	{"timeHandled in a string", `{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:01:00Z","status":"completed","timeHandled":"600"}`, "timeHandled"},
}

const strictGood = `{"type":"session.started","sessionId":"good","time":"2024-01-06T14:00:00Z","channel":"rtm"}`

// TestIngestStrictDecoding sends each through the HTTP API, as a JSON array and as NDJSON: a 400
// naming event 1 and the field, and nothing stored.
func TestIngestStrictDecoding(t *testing.T) {
	e := newAPIEnv(t)
	const bot = "st-strict"
	for _, c := range strictCases {
		t.Run("JSON: "+c.name, func(t *testing.T) {
			resp, b := e.post(t, bot, "application/json", "["+strictGood+","+c.event+"]")
			wantError(t, resp, b, http.StatusBadRequest, "event 1", `"`+c.field+`"`)
		})
		t.Run("NDJSON: "+c.name, func(t *testing.T) {
			resp, b := e.post(t, bot, "application/x-ndjson", strictGood+"\n"+c.event+"\n")
			wantError(t, resp, b, http.StatusBadRequest, "event 1", `"`+c.field+`"`)
		})
	}
	// Nothing of the refused requests was stored: the good event is new, and no "s\ufffd" exists.
	end := `{"type":"session.ended","sessionId":"good","time":"2024-01-06T14:01:00Z","status":"completed"}`
	if a, d := e.ingest(t, bot, "["+strictGood+","+end+"]"); a != 2 || d != 0 {
		t.Fatalf("accepted %d duplicates %d, want 2 0", a, d)
	}
	if ss := e.sessions(t, bot, ""); len(ss) != 1 || ss[0].SessionID != "good" {
		t.Fatalf("sessions %+v, want only good", ss)
	}
	// Text that is right is not refused: a surrogate pair is one character.
	pair := `[{"type":"session.completed","sessionId":"s\ud83d\ude00","channel":"rtm","startTime":"2024-01-06T14:00:00Z","endTime":"2024-01-06T14:01:00Z","status":"completed","timeHandled":60}]`
	e.ingest(t, bot+"-pair", pair)
	if ss := e.sessions(t, bot+"-pair", ""); len(ss) != 1 || ss[0].SessionID != "s😀" || ss[0].TimeHandled != "1m 0s" {
		t.Fatalf("sessions %+v", ss)
	}
}

// TestIngestIntentLimits: the bounds on intents through the HTTP API (issue 9, finding 1).
func TestIngestIntentLimits(t *testing.T) {
	e := newAPIEnv(t)
	names := func(from, n int) string {
		q := make([]string, n)
		for i := range q {
			q[i] = fmt.Sprintf(`"i%05d"`, from+i)
		}
		return strings.Join(q, ",")
	}
	completed := func(sid string, intents string) string {
		return `{"type":"session.completed","sessionId":"` + sid + `","channel":"rtm","startTime":"2024-01-06T14:00:00Z","endTime":"2024-01-06T14:01:00Z","status":"completed","intents":[` + intents + `]}`
	}
	t.Run("an event over the per-event limit is refused", func(t *testing.T) {
		body := "[" + strictGood + "," + completed("s", names(0, session.MaxEventIntents+1)) + "]"
		resp, b := e.post(t, "st-lim-ev", "application/json", body)
		wantError(t, resp, b, http.StatusBadRequest, "event 1", `"intents"`, fmt.Sprint(session.MaxEventIntents))
	})
	t.Run("the 64 000 intents that held the committer are refused", func(t *testing.T) {
		resp, b := e.post(t, "st-lim-ev", "application/json", "["+completed("s", names(0, 64_000))+"]")
		wantError(t, resp, b, http.StatusBadRequest, "event 0", `"intents"`)
	})
	t.Run("a request over the per-session limit is refused", func(t *testing.T) {
		var events []string
		for i := 0; i < session.MaxSessionIntents; i += session.MaxEventIntents {
			events = append(events, completed("s", names(i, session.MaxEventIntents)))
		}
		over := fmt.Sprintf(`{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:30Z","intent":"i%05d"}`, session.MaxSessionIntents)
		resp, b := e.post(t, "st-lim-ses", "application/x-ndjson", strings.Join(append(events, over), "\n"))
		wantError(t, resp, b, http.StatusBadRequest, fmt.Sprintf("event %d", len(events)), `"intent"`)
		// At the limit, it is accepted.
		if a, _ := e.ingest(t, "st-lim-ses", "["+strings.Join(events, ",")+"]"); a != len(events) {
			t.Fatalf("accepted %d of %d", a, len(events))
		}
		if ss := e.sessions(t, "st-lim-ses", ""); len(ss) != 1 || len(ss[0].Intent) != session.MaxSessionIntents {
			t.Fatalf("sessions: %d", len(ss))
		}
	})
	t.Run("across requests a session keeps its first-detected intents", func(t *testing.T) {
		const bot, n = "st-lim-across", session.MaxSessionIntents + 300
		e.ingest(t, bot, `[{"type":"session.started","sessionId":"s","time":"2024-01-06T13:00:00Z","channel":"rtm"},
			{"type":"session.ended","sessionId":"s","time":"2024-01-06T15:00:00Z","status":"completed"}]`)
		// Latest-detected first, so that the cap has to give way to earlier intents.
		for from := n - 100; from >= 0; from -= 100 {
			var events []string
			for i := from; i < from+100; i++ {
				events = append(events, fmt.Sprintf(`{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:%02d:%02dZ","intent":"i%05d"}`, i/60, i%60, i))
			}
			e.ingest(t, bot, "["+strings.Join(events, ",")+"]")
		}
		ss := e.sessions(t, bot, "")
		want := make([]string, session.MaxSessionIntents)
		for i := range want {
			want[i] = fmt.Sprintf("i%05d", i)
		}
		if len(ss) != 1 || !reflect.DeepEqual(ss[0].Intent, want) {
			t.Fatalf("kept %d intents, want the %d first detected", len(ss[0].Intent), session.MaxSessionIntents)
		}
	})
}

// TestNATSStrictDecoding: messages through NATS follow the same rules; the refused ones are
// terminated and counted as invalid, and nothing of them is stored.
func TestNATSStrictDecoding(t *testing.T) {
	env, url := newNATSEnv(t)
	s := testserver.Start(t, env.args(url)...)
	const account, bot = "acct-nats-strict", "st-nats-strict"
	app := s.CreateApp(t, testserver.AppSpec{Account: account})
	env.waitStream(t)
	for _, c := range strictCases {
		env.publish(t, account+"."+bot, "["+strictGood+","+c.event+"]")
	}
	end := `{"type":"session.ended","sessionId":"good","time":"2024-01-06T14:01:00Z","status":"completed"}`
	env.publish(t, account+"."+bot, "["+strictGood+","+end+"]")
	waitFor(t, "every message to be settled", func() bool {
		return metricValue(t, s, `intentrt_nats_messages_total{outcome="invalid"}`) == float64(len(strictCases)) &&
			metricValue(t, s, `intentrt_nats_messages_total{outcome="committed"}`) == 1
	})
	resp, b := s.Do(t, http.MethodPost, readPath(bot), testserver.Headers(app.Token(t), account), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("read: %d %s", resp.StatusCode, b)
	}
	if ss := decodeSessions(t, b); len(ss) != 1 || ss[0].SessionID != "good" {
		t.Fatalf("sessions %+v, want only good", ss)
	}
}
