package session

import (
	"strings"
	"testing"
)

func TestParseExport(t *testing.T) {
	q, err := ParseExport([]byte(`{"channels":["RTM"],"statuses":["dropoff"],"intents":["A"],"from":"2026-01-01T00:00:00Z","to":"2026-02-01T00:00:00Z","after":"42"}`))
	if err != nil || q.After != 42 || q.Channels[0] != "rtm" || q.Statuses[0] != StatusDropoff || q.From.IsZero() || q.To.IsZero() {
		t.Fatalf("%+v %v", q, err)
	}
	for _, empty := range []string{"", "null", "{}", "  "} {
		if q, err := ParseExport([]byte(empty)); err != nil || q.After != 0 || len(q.Channels) != 0 {
			t.Errorf("%q: %+v %v", empty, q, err)
		}
	}
	for body, want := range map[string]string{
		`{"limit":10}`:              `"limit" is not accepted`,
		`{"after":"x"}`:             "after must be the cursor",
		`{"after":"-1"}`:            "after must be the cursor",
		`{"after":5}`:               `"after": has the wrong type`,
		`{"nope":1}`:                `"nope": is not a known field`,
		`{"after":"1","after":"2"}`: "appears more than once",
		`{"statuses":["bad"]}`:      "statuses: unknown status",
		`{"from":"2026-02-01T00:00:00Z","to":"2026-01-01T00:00:00Z"}`: "from must be before to",
		`[]`:      "must be a JSON object",
		`{} {}`:   "single JSON object",
		`{"from"`: "not valid JSON",
	} {
		if _, err := ParseExport([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", body, err, want)
		}
	}
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"+12605554468":   "+12605554468", // a phone number stays readable
		"+1":             "+1",
		"+1 260 555":     "'+1 260 555",
		"+1-2":           "'+1-2",
		"+SUM(A1)":       "'+SUM(A1)",
		"=HYPERLINK(x)":  "'=HYPERLINK(x)",
		"-2+3":           "'-2+3",
		"@SUM(1)":        "'@SUM(1)",
		"\tx":            "'\tx",
		"\rx":            "'\rx",
		"+":              "'+",
		"********4468":   "********4468",
		"h:0123456789ab": "h:0123456789ab",
		"":               "",
		"plain, text":    "plain, text",
	} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}
