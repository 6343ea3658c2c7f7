package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/intentrt/intentrt/internal/testserver"
)

// TestDeletedDatabaseFiles: with the SQLite files deleted under a running server, ingest
// answers 503 with the JSON error body and acknowledges nothing, and /readyz says not ready,
// instead of acknowledging writes that the next start would not find.
func TestDeletedDatabaseFiles(t *testing.T) {
	s := testserver.Start(t)
	const account, bot = "acct-gone", "st-gone"
	app := s.CreateApp(t, testserver.AppSpec{Account: account})
	tok := app.Token(t)
	s.Ingest(t, tok, account, bot, "["+completed("g-1", "2026-11-24T06:00:00Z", "2026-11-24T06:01:00Z", "completed", "")+"]")
	if resp, body := s.Do(t, http.MethodGet, "/readyz", nil, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz before: %d %s", resp.StatusCode, body)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(s.DB + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}

	h := testserver.Headers(tok, account)
	h["Content-Type"] = "application/json"
	resp, body := s.Do(t, http.MethodPost, ingestPath(bot), h,
		"["+completed("g-2", "2026-11-24T06:00:00Z", "2026-11-24T06:02:00Z", "completed", "")+"]")
	var e struct {
		Errors []struct {
			Msg  string `json:"msg"`
			Code int    `json:"code"`
		} `json:"errors"`
	}
	if resp.StatusCode != http.StatusServiceUnavailable || json.Unmarshal(body, &e) != nil || len(e.Errors) != 1 || e.Errors[0].Code != 503 {
		t.Fatalf("ingest after the files went: %d %s, want 503 with the error body", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "accepted") {
		t.Fatalf("ingest acknowledged: %s", body)
	}
	if resp, body := s.Do(t, http.MethodGet, "/readyz", nil, ""); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz after the files went: %d %s, want 503", resp.StatusCode, body)
	}
	if !strings.Contains(s.Stderr.String(), "is gone since it was opened") {
		t.Errorf("the log does not say why:\n%s", s.Stderr.String())
	}
}
