package session

import (
	"strings"
	"testing"
	"time"
)

func TestFormatHandled(t *testing.T) {
	cases := []struct {
		sec  int64
		want string
	}{
		{-5, "0s"}, {0, "0s"}, {1, "1s"}, {50, "50s"}, {59, "59s"},
		{60, "1m 0s"}, {61, "1m 1s"}, {788, "13m 8s"}, {3599, "59m 59s"},
		{3600, "1h 0m 0s"}, {3605, "1h 0m 5s"}, {93780, "26h 3m 0s"}, {1000 * 3600, "1000h 0m 0s"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			if got := FormatHandled(c.sec); got != c.want {
				t.Fatalf("FormatHandled(%d) = %q, want %q", c.sec, got, c.want)
			}
		})
	}
}

func TestFormatTime(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	cases := []struct {
		name string
		in   time.Time
		want string
	}{
		{"UTC millis", time.Date(2024, 1, 6, 14, 7, 8, 185_000_000, time.UTC), "2024-01-06T14:07:08.185+00:00"},
		{"offset converted", time.Date(2024, 1, 6, 19, 37, 8, 185_000_000, ist), "2024-01-06T14:07:08.185+00:00"},
		{"nanoseconds truncated", time.Date(2024, 1, 6, 14, 7, 8, 999_999_999, time.UTC), "2024-01-06T14:07:08.999+00:00"},
		{"zero millis written", time.Date(2024, 1, 6, 14, 7, 8, 0, time.UTC), "2024-01-06T14:07:08.000+00:00"},
		{"across midnight", time.Date(2024, 1, 7, 1, 0, 0, 0, ist), "2024-01-06T19:30:00.000+00:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := FormatTime(c.in); got != c.want {
				t.Fatalf("FormatTime = %q, want %q", got, c.want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	cases := []struct {
		in   string
		want Status
		ok   bool
	}{
		{"completed", StatusCompleted, true}, {"COMPLETED", StatusCompleted, true},
		{"Dropoff", StatusDropoff, true}, {"DROPOFF", StatusDropoff, true}, {"dropoff", StatusDropoff, true},
		{"agentTransfer", StatusAgentTransfer, true}, {"AgentTransfer", StatusAgentTransfer, true}, {"agenttransfer", StatusAgentTransfer, true},
		{"error", StatusError, true}, {"Error", StatusError, true},
		{"", "", false}, {"drop off", "", false}, {"completed ", "", false}, {"agent_transfer", "", false}, {"done", "", false},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, ok := ParseStatus(c.in)
			if got != c.want || ok != c.ok {
				t.Fatalf("ParseStatus(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
			}
		})
	}
	t.Run("StatusList names every status", func(t *testing.T) {
		if got := StatusList(); got != "completed, Dropoff, agentTransfer, error" {
			t.Fatalf("StatusList() = %q", got)
		}
	})
}

func TestValidID(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want bool
	}{
		{"Kore account id", "64b7f3a2c9e1d4f5a6b7c8d9", true},
		{"stream id", "st-5b2f1e8a-3c4d-4e6f-8a9b-0c1d2e3f4a5b", true},
		{"one character", "x", true},
		{"inner space", "a b", true},
		{"unicode letters", "bot-ünïcödé-机器人", true},
		{"128 ASCII", strings.Repeat("a", 128), true},
		{"128 runes of 3 bytes", strings.Repeat("机", 128), true},
		{"128 runes of 4 bytes", strings.Repeat("😀", 128), true},
		{"empty", "", false},
		{"129 ASCII", strings.Repeat("a", 129), false},
		{"129 runes", strings.Repeat("机", 129), false},
		{"newline", "a\nb", false},
		{"tab", "a\tb", false},
		{"NUL", "a\x00b", false},
		{"DEL", "a\x7fb", false},
		{"C1 control", "a\u0085b", false},
		{"invalid UTF-8", "a\xffb", false},
		{"zero width space", "a\u200bb", false},
		{"line separator", "a\u2028b", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ValidID(c.in); got != c.want {
				t.Fatalf("ValidID(%q) = %v, want %v", c.in, got, c.want)
			}
		})
	}
}

func TestViewAndHandled(t *testing.T) {
	start := time.Date(2024, 1, 6, 14, 0, 0, 0, time.UTC)
	seven := int64(7)
	cases := []struct {
		name    string
		st      State
		handled string
	}{
		{"derived", State{Start: start, End: start.Add(13*time.Minute + 8*time.Second + 999*time.Millisecond)}, "13m 8s"},
		{"explicit wins", State{Start: start, End: start.Add(time.Hour), TimeHandled: &seven}, "7s"},
		{"end before start is 0s", State{Start: start, End: start.Add(-time.Minute)}, "0s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := c.st.View()
			if v.TimeHandled != c.handled {
				t.Fatalf("timeHandled %q, want %q", v.TimeHandled, c.handled)
			}
			if v.Intent == nil {
				t.Fatal("intent is nil; it must render as []")
			}
		})
	}
}

func TestDedupKey(t *testing.T) {
	decode := func(t *testing.T, s string) Event {
		t.Helper()
		es, err := DecodeJSON([]byte(s), 1)
		if err != nil {
			t.Fatal(err)
		}
		return es[0]
	}
	base := decode(t, `{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"error"}`)
	cases := []struct {
		name string
		in   string
		same bool
	}{
		{"same instant with another offset", `{"type":"session.ended","sessionId":"s","time":"2024-01-06T19:30:00.000+05:30","status":"error"}`, true},
		{"status in another casing", `{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"ERROR"}`, true},
		{"explicit null deflectedTo", `{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"error","deflectedTo":null}`, true},
		{"another status", `{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"Dropoff"}`, false},
		{"another instant", `{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00.001Z","status":"error"}`, false},
		{"another session", `{"type":"session.ended","sessionId":"t","time":"2024-01-06T14:00:00Z","status":"error"}`, false},
		{"a deflection", `{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"error","deflectedTo":"rtm"}`, false},
		{"a timeHandled", `{"type":"session.ended","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"error","timeHandled":0}`, false},
		{"an eventId", `{"type":"session.ended","eventId":"e","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"error"}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := decode(t, c.in)
			if got := e.DedupKey() == base.DedupKey(); got != c.same {
				t.Fatalf("same key %v, want %v", got, c.same)
			}
		})
	}
	t.Run("eventId alone decides", func(t *testing.T) {
		a := decode(t, `{"type":"session.ended","eventId":"e-1","sessionId":"s","time":"2024-01-06T14:00:00Z","status":"error"}`)
		b := decode(t, `{"type":"intent.detected","eventId":"e-1","sessionId":"x","time":"2025-01-06T14:00:00Z","intent":"A"}`)
		if a.DedupKey() != b.DedupKey() {
			t.Fatal("events with the same eventId have different keys")
		}
	})
}

func TestValidText(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want bool
	}{
		{"empty", "", true},
		{"phone number", "+1 (555) 010-0100", true},
		{"intent with unicode", "Réserver un vol ✈", true},
		{"1024 bytes", strings.Repeat("x", 1024), true},
		{"1025 bytes", strings.Repeat("x", 1025), false},
		{"NUL", "a\x00b", false},
		{"newline", "a\nb", false},
		{"tab", "a\tb", false},
		{"DEL", "a\x7f", false},
		{"invalid UTF-8", "\xc3", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ValidText(c.in); got != c.want {
				t.Fatalf("ValidText(%q) = %v, want %v", c.in, got, c.want)
			}
		})
	}
}
