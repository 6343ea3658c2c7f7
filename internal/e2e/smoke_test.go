package e2e

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/intentrt/intentrt/internal/testserver"
)

// TestSmoke ingests one completed session and reads it back in Kore's format.
func TestSmoke(t *testing.T) {
	s := testserver.Start(t)
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct1"})
	tok := app.Token(t)
	acc, dup := s.Ingest(t, tok, "acct1", "st-bot", `[{"type":"session.completed","sessionId":"s1","channel":"RTM","ANI":"a","DNI":"d","userId":"u",
		"startTime":"2024-01-06T14:07:08.185+00:00","endTime":"2024-01-06T14:07:58.999+00:00","intents":["Book a Flight"],"status":"dropoff"}]`)
	if acc != 1 || dup != 0 {
		t.Fatalf("accepted %d duplicates %d", acc, dup)
	}
	resp, body := s.Do(t, http.MethodPost, "/api/public/bot/st-bot//intentrealtimedata", testserver.Headers(app.Token(t), "acct1"), "")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	want := `[{"intent":["Book a Flight"],"ANI":"a","DNI":"d","channel":"rtm","startTime":"2024-01-06T14:07:08.185+00:00","endTime":"2024-01-06T14:07:58.999+00:00","status":"Dropoff","timeHandled":"50s","deflectedTo":null,"userId":"u","sessionId":"s1"}]` + "\n"
	if string(body) != want {
		t.Fatalf("got  %s\nwant %s", body, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	var v []map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
}
