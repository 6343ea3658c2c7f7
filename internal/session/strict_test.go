package session

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestDecodeStrict: what loose decoding let through is refused, by both formats, naming the
// event and the field. Before the strict decoder, every case here was accepted: names matched
// case-insensitively, the last of two equal names won, "600" was a number, and invalid UTF-8 and
// lone surrogates became U+FFFD (so "s\xff", "s\xfe" and "s\ud800" were one session).
func TestDecodeStrict(t *testing.T) {
	const (
		st  = `"type":"session.started","time":"2024-01-06T14:00:00Z","channel":"rtm"`
		end = `"type":"session.ended","sessionId":"s","time":"2024-01-06T14:01:00Z"`
	)
	cases := []struct {
		name, event string
		field, msg  string // msg: a part of the message
	}{
		{"name in capitals", `{` + st + `,"SESSIONID":"s"}`, "SESSIONID", "is not a known field"},
		{"name in lowercase", `{"type":"session.completed","sessionId":"s","channel":"rtm","starttime":"2024-01-06T14:00:00Z","endTime":"2024-01-06T14:00:00Z","status":"error"}`, "starttime", "is not a known field"},
		{"a second status in other casing", `{` + end + `,"status":"completed","STATUS":"error"}`, "STATUS", "is not a known field"},
		{"a duplicate name", `{` + end + `,"status":"completed","status":"error"}`, "status", "more than once"},
		{"a duplicate time of another type", `{` + st + `,"sessionId":"s","time":1}`, "time", "more than once"},
		{"timeHandled in a string", `{` + end + `,"status":"error","timeHandled":"600"}`, "timeHandled", "not a string"},
		{"timeHandled true", `{` + end + `,"status":"error","timeHandled":true}`, "timeHandled", "not true"},
		{"deflectedTo an object", `{` + end + `,"status":"error","deflectedTo":{}}`, "deflectedTo", "not an object"},
		{"sessionId with byte FF", `{` + st + `,"sessionId":"s` + "\xff" + `"}`, "sessionId", "valid UTF-8"},
		{"sessionId with byte FE", `{` + st + `,"sessionId":"s` + "\xfe" + `"}`, "sessionId", "valid UTF-8"},
		{"sessionId with a lone high surrogate", `{` + st + `,"sessionId":"s\ud800"}`, "sessionId", "surrogate"},
		{"sessionId with a lone low surrogate", `{` + st + `,"sessionId":"s\udc00x"}`, "sessionId", "surrogate"},
		{"ANI with an overlong encoding", `{` + st + `,"sessionId":"s","ANI":"` + "\xc0\xaf" + `"}`, "ANI", "valid UTF-8"},
		{"an intent with invalid UTF-8", `{"type":"session.completed","sessionId":"s","channel":"rtm","startTime":"2024-01-06T14:00:00Z","endTime":"2024-01-06T14:00:00Z","status":"error","intents":["a","b` + "\xff" + `"]}`, "intents[1]", "valid UTF-8"},
		{"an intent of the wrong type", `{"type":"session.completed","sessionId":"s","channel":"rtm","startTime":"2024-01-06T14:00:00Z","endTime":"2024-01-06T14:00:00Z","status":"error","intents":["a",5]}`, "intents[1]", "expected a string"},
		{"a name with invalid UTF-8", `{` + st + `,"sessionId":"s","x` + "\xff" + `":1}`, "", "field name"},
	}
	for _, c := range cases {
		for _, format := range []string{"JSON", "NDJSON"} {
			t.Run(format+": "+c.name, func(t *testing.T) {
				var err error
				if format == "JSON" {
					_, err = DecodeJSON([]byte("[{"+st+`,"sessionId":"ok"},`+c.event+"]"), 10)
				} else {
					_, err = DecodeNDJSON(strings.NewReader("{"+st+`,"sessionId":"ok"}`+"\n"+c.event), 10)
				}
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("error %v, want a *FieldError", err)
				}
				if fe.Index != 1 || fe.Field != c.field || !strings.Contains(fe.Msg, c.msg) {
					t.Fatalf("got %v (index %d field %q), want event 1, field %q, %q", err, fe.Index, fe.Field, c.field, c.msg)
				}
				if !utf8.ValidString(err.Error()) {
					t.Fatalf("message is not valid UTF-8: %q", err.Error())
				}
			})
		}
	}
}

// TestDecodeStrictAccepts: strictness refuses nothing that was right: escapes, surrogate pairs,
// null for the optional fields, and a name that is a prefix of another.
func TestDecodeStrictAccepts(t *testing.T) {
	events, err := DecodeJSON([]byte(`[
		{"type":"session.started","sessionId":"s\ud83d\ude00\u00e9","time":"2024-01-06T14:00:00Z","channel":"rtm","userId":"\u0075"},
		{"type":"session.ended","sessionId":"s😀é","time":"2024-01-06T14:01:00Z","status":"error","deflectedTo":null,"timeHandled":null},
		{"type":"session.ended","sessionId":"s😀é","time":"2024-01-06T14:01:00Z","status":"error","deflectedTo":"RTM","timeHandled":0}]`), 10)
	if err != nil {
		t.Fatal(err)
	}
	if events[0].SessionID != "s😀é" || events[0].UserID != "u" || events[1].DeflectedTo != nil || events[1].TimeHandled != nil ||
		*events[2].DeflectedTo != "rtm" || *events[2].TimeHandled != 0 {
		t.Fatalf("%+v", events)
	}
}

// readBody is shaped like the read API's body: the kind of object DecodeObject serves beyond
// events.
type readBody struct {
	Limit    *int     `json:"limit"`
	Channels []string `json:"channels"`
	Filter   *struct {
		From string `json:"from"`
	} `json:"filter"`
}

func TestDecodeObject(t *testing.T) {
	cases := []struct {
		name, body string
		want       string // exact Error(), empty for success
	}{
		{"accepted", `{"limit":5,"channels":["rtm"],"filter":{"from":"x"}}`, ""},
		{"not an object", `[1]`, "must be a JSON object"},
		{"empty", ``, "must be a JSON object"},
		{"a form feed is not JSON whitespace", "\f{}", "must be a JSON object"},
		{"JSON whitespace around", " \t\r\n{}\n", ""},
		{"unknown name", `{"Limit":5}`, `field "Limit": is not a known field`},
		{"unknown nested name", `{"filter":{"to":"x"}}`, `field "filter.to": is not a known field`},
		{"duplicate", `{"limit":5,"limit":6}`, `field "limit": appears more than once: give each field once`},
		{"number in a string", `{"limit":"5"}`, `field "limit": has the wrong type: expected an integer`},
		{"fraction", `{"limit":5.5}`, `field "limit": has the wrong type: expected an integer`},
		{"string for an array", `{"channels":"rtm"}`, `field "channels": has the wrong type: expected an array of strings`},
		{"number in an array", `{"channels":["rtm",1]}`, `field "channels[1]": has the wrong type: expected a string`},
		{"object expected", `{"filter":[]}`, `field "filter": has the wrong type: expected an object`},
		{"invalid UTF-8", `{"channels":["` + "\xff" + `"]}`, `field "channels[0]": must be valid UTF-8 text`},
		{"trailing value", `{"limit":5} {}`, "holds more than one JSON value"},
		{"cut short", `{"limit":5`, "is not valid JSON: it ends too early"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b readBody
			fe := DecodeObject([]byte(c.body), &b)
			switch {
			case c.want == "" && fe != nil:
				t.Fatalf("refused: %v", fe)
			case c.want != "" && fe == nil:
				t.Fatalf("accepted %+v, want %q", b, c.want)
			case fe != nil && (fe.Error() != c.want || fe.Index != -1):
				t.Fatalf("got %q (index %d), want %q", fe.Error(), fe.Index, c.want)
			}
		})
	}
}

// TestDecodeIntentLimits: one event may list MaxEventIntents intents; one request may name
// MaxSessionIntents distinct intents for one session. Beyond either, the request is refused,
// naming the event.
func TestDecodeIntentLimits(t *testing.T) {
	completed := func(sid string, from, n int) string {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("%q", fmt.Sprintf("i%d", from+i))
		}
		return `{"type":"session.completed","sessionId":"` + sid + `","channel":"rtm","startTime":"2024-01-06T14:00:00Z","endTime":"2024-01-06T14:01:00Z","status":"error","intents":[` + strings.Join(names, ",") + `]}`
	}
	intent := func(sid string, i int) string {
		return fmt.Sprintf(`{"type":"intent.detected","sessionId":%q,"time":"2024-01-06T14:00:00Z","intent":"i%d"}`, sid, i)
	}
	var full []string // MaxSessionIntents distinct intents of session s, in full events
	for i := 0; i < MaxSessionIntents; i += MaxEventIntents {
		full = append(full, completed("s", i, MaxEventIntents))
	}
	cases := []struct {
		name   string
		events []string
		index  int
		field  string // empty: accepted
	}{
		{"an event at the limit", []string{completed("s", 0, MaxEventIntents)}, 0, ""},
		{"an event over it", []string{intent("s", 0), completed("s", 0, MaxEventIntents+1)}, 1, "intents"},
		{"a session at the limit in one request, repeats free", slices.Concat(full, []string{full[0], intent("s", 0), completed("t", 0, 1)}), 0, ""},
		{"a session over it by a list", slices.Concat(full, []string{completed("t", 0, 5), completed("s", MaxSessionIntents, 1)}), len(full) + 1, "intents"},
		{"a session over it by an intent.detected", slices.Concat(full, []string{intent("s", 7), intent("s", -1)}), len(full) + 1, "intent"},
		{"other sessions do not add up", slices.Concat(full, []string{completed("t", MaxSessionIntents, MaxEventIntents)}), 0, ""},
	}
	for _, c := range cases {
		for _, format := range []string{"JSON", "NDJSON"} {
			t.Run(format+": "+c.name, func(t *testing.T) {
				var err error
				if format == "JSON" {
					_, err = DecodeJSON([]byte("["+strings.Join(c.events, ",")+"]"), 0)
				} else {
					_, err = DecodeNDJSON(strings.NewReader(strings.Join(c.events, "\n")), 0)
				}
				if c.field == "" {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Index != c.index || fe.Field != c.field {
					t.Fatalf("error %v, want event %d field %q", err, c.index, c.field)
				}
			})
		}
	}
}
