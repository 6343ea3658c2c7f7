package session

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

const (
	okStart = `{"type":"session.started","sessionId":"s","time":"2024-01-06T14:00:00Z","channel":"rtm"}`
	okEnd   = `{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:01:00Z","status":"error"}`
	badEnd  = `{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:01:00Z","status":"nope"}`
)

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name   string
		ndjson bool
		body   string
		index  int
		field  string
		msg    string // exact Error()
	}{
		{"JSON: first bad event by index", false, "[" + okStart + "," + okEnd + "," + badEnd + "]", 2, "status",
			`event 2: field "status": unknown status "nope"; accepted: completed, Dropoff, agentTransfer, error`},
		{"JSON: a single object followed by more", false, okStart + ` x`, 0, "", "event 0: holds more than one JSON value"},
		{"JSON: not an array", false, `"x"`, -1, "", "body must be a JSON array of events"},
		{"NDJSON: blank lines do not count", true, "\n" + okStart + "\n\n" + badEnd + "\n", 1, "status", ""},
		{"NDJSON: a line that is not an object", true, okStart + "\n[]\n", 1, "", "event 1: must be a JSON object"},
		{"NDJSON: nothing but blank lines", true, "\n \n", -1, "", "body holds no events: send one JSON event per line"},
		{"wrong type names the JSON type", false, `[{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:00Z","intent":5}]`, 0, "intent",
			`event 0: field "intent": has the wrong type: expected a string`},
		{"unknown field", false, `[{"type":"intent.detected","sessionId":"s","time":"2024-01-06T14:00:00Z","intent":"a","extra":1}]`, 0, "extra",
			`event 0: field "extra": is not a known field`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.ndjson {
				_, err = DecodeNDJSON(strings.NewReader(c.body), 10)
			} else {
				_, err = DecodeJSON([]byte(c.body), 10)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a *FieldError", err)
			}
			if fe.Index != c.index || fe.Field != c.field {
				t.Fatalf("index %d field %q, want %d %q (%v)", fe.Index, fe.Field, c.index, c.field, err)
			}
			if c.msg != "" && err.Error() != c.msg {
				t.Fatalf("message %q, want %q", err.Error(), c.msg)
			}
		})
	}
}

func TestDecodeTooMany(t *testing.T) {
	three := []string{okStart, okEnd, okStart}
	t.Run("JSON", func(t *testing.T) {
		if _, err := DecodeJSON([]byte("["+strings.Join(three, ",")+"]"), 2); !errors.Is(err, ErrTooManyEvents) {
			t.Fatalf("error %v, want ErrTooManyEvents", err)
		}
		if es, err := DecodeJSON([]byte("["+strings.Join(three, ",")+"]"), 3); err != nil || len(es) != 3 {
			t.Fatalf("at the limit: %d events, %v", len(es), err)
		}
	})
	t.Run("NDJSON", func(t *testing.T) {
		if _, err := DecodeNDJSON(strings.NewReader(strings.Join(three, "\n")), 2); !errors.Is(err, ErrTooManyEvents) {
			t.Fatalf("error %v, want ErrTooManyEvents", err)
		}
		// Blank lines are not events.
		if es, err := DecodeNDJSON(strings.NewReader(strings.Join(three, "\n\n\n")), 3); err != nil || len(es) != 3 {
			t.Fatalf("at the limit: %d events, %v", len(es), err)
		}
	})
}

// TestDecodeNDJSONReaderFailure: when the body is cut off by its reader (the size limit), the
// reader's error is what comes back, not a complaint about the broken last line.
func TestDecodeNDJSONReaderFailure(t *testing.T) {
	tooBig := errors.New("body too large")
	r := io.MultiReader(strings.NewReader(okStart+"\n"+`{"type":"session.ended","sessi`), iotest.ErrReader(tooBig))
	if _, err := DecodeNDJSON(r, 10); !errors.Is(err, tooBig) {
		t.Fatalf("error %v, want the reader's error", err)
	}
}

// BenchmarkDecodeJSON decodes a batch of the default maximum size (10 000 session.completed
// events, 2.7 MB). On this machine: about 51 ms with the strict decoder, 64 ms with the loose
// encoding/json one it replaced.
func BenchmarkDecodeJSON(b *testing.B) {
	parts := make([]string, 10_000)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"type":"session.completed","sessionId":"s-%d","channel":"rtm","ANI":"+1555","DNI":"+1800","userId":"u","startTime":"2024-01-06T14:07:08.185+00:00","endTime":"2024-01-06T14:07:58.999+00:00","intents":["Book a Flight","Pay Bill"],"status":"completed","timeHandled":50}`, i)
	}
	body := []byte("[" + strings.Join(parts, ",") + "]")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeJSON(body, 0); err != nil {
			b.Fatal(err)
		}
	}
}
