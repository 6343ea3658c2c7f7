package sqlrow

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// TestDecodeIntentsMatchesEncodingJSON checks the fast reader of the intents column against
// encoding/json: on what StateArgs writes it must give the same intents, and on anything else it
// must decline (so that ScanState falls back to encoding/json) rather than guess.
func TestDecodeIntentsMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 11, 24, 10, 0, 5, 123456789, time.UTC)
	written := [][]session.Intent{
		nil,
		{},
		{{Name: "Book a Flight", At: at}},
		{{Name: "Book a Flight", At: at}, {Name: "Check Balance", At: at, Rank: 1}, {Name: "Später <&>", At: at.Add(time.Hour), Rank: 12}},
		{{Name: `quote " and \ backslash`, At: at}},
		{{Name: "tab\there", At: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, ins := range written {
		enc, err := json.Marshal(append([]session.Intent{}, ins...))
		if err != nil {
			t.Fatal(err)
		}
		var want []session.Intent
		if err := json.Unmarshal(enc, &want); err != nil {
			t.Fatal(err)
		}
		got, ok := decodeIntents(string(enc))
		if !ok {
			// Declining is allowed only where encoding/json escaped something.
			if !containsByte(enc, '\\') {
				t.Errorf("%s: declined", enc)
			}
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", enc, got, want)
		}
	}
	for _, bad := range []string{``, `[`, `{}`, `[{}]`, `[{"n":"a"}]`, `[{"t":"2026-11-24T10:00:00Z","n":"a"}]`,
		`[{"n":"a","t":"yesterday"}]`, `[{"n":"a","t":"2026-11-24T10:00:00Z"}`, `[{"n":"a","t":"2026-11-24T10:00:00Z"}]x`,
		`[{"n":"a","t":"2026-11-24T10:00:00Z","r":0}]`, `[{"n":"a","t":"2026-11-24T10:00:00Z","r":-1}]`,
		`[{"n":"a","t":"2026-11-24T10:00:00Z"},]`, "[{\"n\":\"\xff\",\"t\":\"2026-11-24T10:00:00Z\"}]",
		`[ {"n":"a","t":"2026-11-24T10:00:00Z"}]`} {
		if got, ok := decodeIntents(bad); ok {
			t.Errorf("%q: accepted as %#v", bad, got)
		}
	}
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}
