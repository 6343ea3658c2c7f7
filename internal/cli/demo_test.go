package cli_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/testserver"
)

var demoCredentials = regexp.MustCompile(`account id:\s+(\S+)\n\s+bot id:\s+(\S+)\n\s+client id:\s+(\S+)\n\s+client secret:\s+(\S+)`)

// demoSessions waits for the demo to start and counts, through the summary API, the sessions
// that ended in [from, to) — history only, which live traffic does not touch.
func demoSessions(t *testing.T, s *testserver.Server, from, to time.Time) float64 {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(s.Stdout.String(), "Demo running") {
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not start: %s %s", s.Stdout, s.Stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	m := demoCredentials.FindStringSubmatch(s.Stdout.String())
	if m == nil {
		t.Fatalf("no demo credentials in %s", s.Stdout)
	}
	tok, err := auth.Mint(m[3], m[4], auth.MintOptions{TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"from":"` + from.Format(time.RFC3339) + `","to":"` + to.Format(time.RFC3339) + `","bucket":"1h"}`
	resp, raw := s.Do(t, http.MethodPost, "/api/public/bot/"+m[2]+"/intentrealtimedata/summary", testserver.Headers(tok, m[1]), body)
	var sum struct{ Totals struct{ Sessions float64 } }
	if resp.StatusCode != 200 || json.Unmarshal(raw, &sum) != nil {
		t.Fatalf("summary: %d %s", resp.StatusCode, raw)
	}
	return sum.Totals.Sessions
}

// TestDemoRestartAddsNoHistory: serve --demo backfills a day on a new database; restarted on the
// same database it adds no second copy of that day.
func TestDemoRestartAddsNoHistory(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	to := time.Now().UTC().Truncate(time.Hour)
	from := to.Add(-12 * time.Hour)
	first := testserver.StartDB(t, db, "--demo")
	before := demoSessions(t, first, from, to)
	if before < 1000 {
		t.Fatalf("the demo's day holds %v sessions in 12 hours; want its curve", before)
	}
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	second := testserver.StartDB(t, db, "--demo")
	if after := demoSessions(t, second, from, to); after != before {
		t.Fatalf("restarting the demo changed the stored history: %v sessions, then %v", before, after)
	}
}
