package session

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// viewJSON is the reference: encoding/json, HTML escaping off, as the HTTP layer encodes.
func viewJSON(t testing.TB, v View) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestAppendViewJSONMatchesEncodingJSON holds the hand-written encoding of a session equal to
// encoding/json's encoding of its View, on ordinary values and on every kind of string that
// encoding/json escapes.
func TestAppendViewJSONMatchesEncodingJSON(t *testing.T) {
	start := time.Date(2024, 1, 6, 14, 7, 8, 185_999_999, time.FixedZone("x", 3600))
	rtm := "rtm"
	odd := "q\"b\\s/<>&\b\f\n\r\t\x00\x1f\x7f é 日本 \u2028\u2029 \xff\xfe end"
	sec := func(n int64) *int64 { return &n }
	states := []State{
		{Key: Key{SessionID: "s1"}, Start: start, End: start.Add(50 * time.Second), Status: StatusCompleted},
		{Key: Key{SessionID: "s2"}, Channel: "rtm", ANI: "+1555", DNI: "+1800", UserID: "u", Start: start, End: start.Add(13*time.Minute + 8*time.Second),
			Status: StatusDropoff, DeflectedTo: &rtm, Intents: []Intent{{Name: "Book a Flight"}, {Name: "Check Balance"}}},
		{Key: Key{SessionID: odd}, Channel: odd, ANI: odd, DNI: odd, UserID: odd, Start: start, End: start.Add(-time.Second),
			Status: Status(odd), DeflectedTo: &odd, Intents: []Intent{{Name: odd}, {Name: ""}}},
		{Key: Key{SessionID: "s4"}, Start: start, End: start.Add(26 * time.Hour), TimeHandled: sec(3605), Status: StatusAgentTransfer},
		{Key: Key{SessionID: "s5"}, Start: start, End: start, TimeHandled: sec(0), Status: StatusError},
		{Key: Key{SessionID: "s6"}, Start: start, End: start, TimeHandled: sec(94000), Status: StatusError},
	}
	for _, st := range states {
		want := viewJSON(t, st.View())
		got := st.AppendViewJSON(nil)
		if !bytes.Equal(got, want) {
			t.Errorf("session %q:\n got %s\nwant %s", st.SessionID, got, want)
		}
	}
	for c := range 0x80 {
		s := string(rune(c))
		if got, want := appendJSONString(nil, s), viewJSONString(t, s); !bytes.Equal(got, want) {
			t.Errorf("byte %#x: got %s want %s", c, got, want)
		}
	}
}

func viewJSONString(t testing.TB, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// FuzzAppendViewJSON compares the two encodings on arbitrary strings.
func FuzzAppendViewJSON(f *testing.F) {
	f.Add("Book a Flight", "+12605554468", "u-1")
	f.Add("\u2028\xff\"", "\\", "\x00")
	f.Fuzz(func(t *testing.T, intent, ani, sid string) {
		st := State{Key: Key{SessionID: sid}, ANI: ani, Intents: []Intent{{Name: intent}}, Start: time.Unix(0, 0), End: time.Unix(61, 0)}
		if got, want := st.AppendViewJSON(nil), viewJSON(t, st.View()); !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	})
}
