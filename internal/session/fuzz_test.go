package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzMaxEvents is small so that the fuzzer reaches the too-many-events path.
const fuzzMaxEvents = 5

var decodeSeeds = []string{
	`[{"type":"session.started","sessionId":"s-1","time":"2024-01-06T14:00:00Z","channel":"korevg","ANI":"+15550100","DNI":"+18005550100","userId":"u-1"},
	  {"type":"intent.detected","sessionId":"s-1","eventId":"e-2","time":"2024-01-06T14:00:05.123456789+05:30","intent":"Check Balance"},
	  {"type":"session.ended","sessionId":"s-1","time":"2024-01-06T14:02:10Z","status":"DROPOFF","deflectedTo":"RTM","timeHandled":130}]`,
	`{"type":"session.completed","sessionId":"s-2","channel":"rtm","ANI":"a","DNI":"d","userId":"u","startTime":"2024-01-06T14:07:08.185+00:00","endTime":"2024-01-06T14:07:58.999+00:00","intents":["Book a Flight","Pay Bill"],"status":"agenttransfer","deflectedTo":null,"timeHandled":null}`,
	`{"type":"session.completed","sessionId":"s-3","time":"2024-01-06T14:08:00Z","channel":"rtm","startTime":"2024-01-06T14:07:08Z","endTime":"2024-01-06T14:07:58Z","intents":[],"status":"error"}`,
	`[]`,
	``,
	`null`,
	`[1,2]`,
	`[{},{}]`,
	`[{"type":"session.paused","sessionId":"s","time":"2024-01-06T14:00:00Z"}]`,
	`[{"type":"session.started","sessionId":"s","time":"2024-01-06T14:00:00Z","channel":"rtm","intent":"x"}]`,
	`[{"type":"session.started","sessionId":"s","time":"2024-01-06T14:00:00Z","channel":"rtm","foo":1}]`,
	`[{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"error","timeHandled":"12"}]`,
	`[{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"error","timeHandled":1e3}]`,
	`[{"type":"intent.detected","sessionId":"s","time":"3000-01-01T00:00:00Z","intent":"x"}]`,
	`[{"type":"intent.detected","sessionId":"s","time":"2262-04-11T23:47:16.854775807Z","intent":"x"}]`,
	// Channels whose lowercase form is longer in bytes (U+023A becomes U+2C65).
	`[{"type":"session.started","sessionId":"s","time":"2024-01-06T14:00:00Z","channel":"` + strings.Repeat("Ⱥİ", 64) + `"}]`,
	`[{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"error","deflectedTo":"` + strings.Repeat("Ⱥİ", 64) + `"}]`,
	`[{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:00Z","intent":"a"},{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:00Z","intent":"b"},{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:00Z","intent":"c"},{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:00Z","intent":"d"},{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:00Z","intent":"e"},{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:00Z","intent":"f"}]`,
	`{"type":"session.started","sessionId":"s","time":"2024-01-06T14:00:00Z","channel":"rtm"} {"type":"session.started"}`,
	`[{"Type":"session.started","SESSIONID":"s","time":"2024-01-06T14:00:00Z","channel":"rtm"}]`,
	`[{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"completed","status":"error"}]`,
	"[{\"type\":\"session.started\",\"sessionId\":\"s\xff\",\"time\":\"2024-01-06T14:00:00Z\",\"channel\":\"rtm\"}]",
	`[{"type":"session.started","sessionId":"s\ud800","time":"2024-01-06T14:00:00Z","channel":"rtm"}]`,
	`[{"type":"session.started","sessionId":"s\ud83d\ude00","time":"2024-01-06T14:00:00Z","channel":"rtm"}]`,
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := DecodeJSON(data, fuzzMaxEvents)
		checkDecoded(t, events, err)
	})
}

func FuzzDecodeNDJSON(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
		// The same, one JSON value per line where the seed is an array.
		var raws []json.RawMessage
		if json.Unmarshal([]byte(s), &raws) == nil {
			var lines []string
			for _, r := range raws {
				var buf bytes.Buffer
				if json.Compact(&buf, r) == nil {
					lines = append(lines, buf.String())
				}
			}
			f.Add([]byte(strings.Join(lines, "\n")))
		}
	}
	f.Add([]byte("\n\r\n  \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := DecodeNDJSON(bytes.NewReader(data), fuzzMaxEvents)
		checkDecoded(t, events, err)
	})
}

// checkDecoded holds the decoders' properties: an error is a *FieldError or ErrTooManyEvents;
// an accepted batch is within the limit and every event in it, written back as a producer would,
// decodes to the very same event.
func checkDecoded(t *testing.T, events []Event, err error) {
	t.Helper()
	if err != nil {
		var fe *FieldError
		if !errors.As(err, &fe) && !errors.Is(err, ErrTooManyEvents) {
			t.Fatalf("error %v (%T) is neither a *FieldError nor ErrTooManyEvents", err, err)
		}
		if events != nil {
			t.Fatalf("events returned with an error")
		}
		return
	}
	if len(events) > fuzzMaxEvents {
		t.Fatalf("%d events accepted, limit %d", len(events), fuzzMaxEvents)
	}
	for i, e := range events {
		wire, merr := json.Marshal(wireOf(e))
		if merr != nil {
			t.Fatalf("event %d: encode: %v", i, merr)
		}
		again, err := DecodeJSON(wire, 1)
		if err != nil {
			t.Fatalf("event %d %+v re-encoded as %s does not validate: %v", i, e, wire, err)
		}
		if !reflect.DeepEqual(again[0], e) {
			t.Fatalf("event %d changed on a round trip:\n%+v\n%+v\nwire %s", i, e, again[0], wire)
		}
		if again[0].DedupKey() != e.DedupKey() {
			t.Fatalf("event %d: dedup key changed on a round trip", i)
		}
	}
}

// wireOf writes an accepted event back in the producers' format.
func wireOf(e Event) map[string]any {
	w := map[string]any{"type": string(e.Type), "sessionId": e.SessionID, "time": e.Time.Format(time.RFC3339Nano)}
	if e.EventID != "" {
		w["eventId"] = e.EventID
	}
	parties := func() {
		w["channel"], w["ANI"], w["DNI"], w["userId"] = e.Channel, e.ANI, e.DNI, e.UserID
	}
	outcome := func() {
		w["status"] = string(e.Status)
		if e.DeflectedTo != nil {
			w["deflectedTo"] = *e.DeflectedTo
		}
		if e.TimeHandled != nil {
			w["timeHandled"] = *e.TimeHandled
		}
	}
	switch e.Type {
	case TypeStarted:
		parties()
	case TypeIntent:
		w["intent"] = e.Intent
	case TypeEnded:
		outcome()
	case TypeCompleted:
		parties()
		outcome()
		w["startTime"] = e.StartTime.Format(time.RFC3339Nano)
		w["endTime"] = e.EndTime.Format(time.RFC3339Nano)
		if e.Intents != nil {
			w["intents"] = e.Intents
		}
	}
	return w
}

// FuzzDecodeObject holds the strict decoder's promises on any input: it never panics, an error
// names no event (Index -1), and what it accepts is a single valid JSON object of valid UTF-8
// whose every string decodes to valid UTF-8.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{
		`{"limit":5,"channels":["rtm","korevg"],"filter":{"from":"x"}}`,
		`{"limit":5,"limit":6}`, `{"Limit":5}`, `{"limit":"5"}`, `{"channels":["\ud800"]}`,
		"{\"channels\":[\"\xff\"]}", `{"filter":{"to":1}}`, `{} {}`, `[]`, ``, `{"channels":["\ud83d\ude00\u00e9"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b struct {
			Limit    *int     `json:"limit"`
			Channels []string `json:"channels"`
			Filter   *struct {
				From string `json:"from"`
			} `json:"filter"`
		}
		if fe := DecodeObject(data, &b); fe != nil {
			if fe.Index != -1 || fe.Msg == "" {
				t.Fatalf("error %+v", fe)
			}
			return
		}
		if !utf8.Valid(data) || !json.Valid(data) || bytes.TrimSpace(data)[0] != '{' {
			t.Fatalf("accepted %q", data)
		}
		for _, c := range b.Channels {
			if !utf8.ValidString(c) {
				t.Fatalf("accepted invalid UTF-8 %q from %q", c, data)
			}
		}
	})
}
