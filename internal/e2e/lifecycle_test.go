package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

// completedAt is a whole session told at once, ending at end, for user.
func completedAt(sid, user string, end time.Time) string {
	return fmt.Sprintf(`{"type":"session.completed","eventId":"%[1]s-ev","sessionId":%[1]q,"channel":"rtm","userId":%[2]q,
		"startTime":%[3]q,"endTime":%[4]q,"intents":["Pay Bill"],"status":"completed"}`,
		sid, user, end.Add(-time.Minute).UTC().Format(time.RFC3339Nano), end.UTC().Format(time.RFC3339Nano))
}

// ingestRaw posts events and returns the decoded answer and its raw body.
func ingestRaw(t *testing.T, s *testserver.Server, tok, account, bot, events string) (map[string]int, string) {
	t.Helper()
	h := testserver.Headers(tok, account)
	h["Content-Type"] = "application/json"
	resp, body := s.Do(t, http.MethodPost, ingestPath(bot), h, events)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ingest: %d %s", resp.StatusCode, body)
	}
	var m map[string]int
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("ingest answer %s: %v", body, err)
	}
	return m, string(body)
}

// readIDs returns the session ids the read API of bot answers on s.
func readIDs(t *testing.T, s *testserver.Server, tok, account, bot string) []string {
	t.Helper()
	resp, body := s.Do(t, http.MethodPost, readPath(bot), testserver.Headers(tok, account), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("read: %d %s", resp.StatusCode, body)
	}
	var out []koreSession
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range out {
		ids = append(ids, k.SessionID)
	}
	slices.Sort(ids)
	return ids
}

// retentionHorizon is short enough for the purge to come within waitFor's 20 s (it runs every
// quarter of the horizon) and long enough that the fresh session is not yet older than it
// while the test ingests and reads it back on a loaded machine (4 s was not, under -race).
const retentionHorizon = "10s"

func TestRetentionSQLite(t *testing.T) {
	testRetention(t, testserver.Start(t, "--retention", retentionHorizon, "--retention-account", "acct-forever=0"))
}

func TestRetentionPostgres(t *testing.T) {
	testRetention(t, testserver.StartDB(t, pgtest.DSN(t), "--retention", retentionHorizon, "--retention-account", "acct-forever=0"))
}

// testRetention: an event older than the horizon is acknowledged as expired, again on retry;
// a fresh session is stored, read, then purged by the background worker once it is older than
// the horizon, with its summary figures, and a retry of it is then expired too; an account
// kept forever keeps its old sessions.
func testRetention(t *testing.T, s *testserver.Server) {
	const account, bot = "acct-retention", "st-retention"
	tok := s.CreateApp(t, testserver.AppSpec{Account: account}).Token(t)
	old := completedAt("old-1", "user-old", time.Now().Add(-time.Hour))
	for range 2 {
		m, raw := ingestRaw(t, s, tok, account, bot, "["+old+"]")
		if m["accepted"] != 0 || m["duplicates"] != 0 || m["expired"] != 1 {
			t.Fatalf("an event older than the horizon: %s, want expired 1", raw)
		}
	}
	fresh := completedAt("fresh-1", "user-fresh", time.Now())
	m, raw := ingestRaw(t, s, tok, account, bot, "["+fresh+","+old+"]")
	if m["accepted"] != 1 || m["expired"] != 1 {
		t.Fatalf("fresh and old: %s", raw)
	}
	if _, raw = ingestRaw(t, s, tok, account, bot, "["+fresh+"]"); strings.Contains(raw, "expired") {
		t.Fatalf("expired is present only when non-zero: %s", raw)
	}
	if got := readIDs(t, s, tok, account, bot); !slices.Equal(got, []string{"fresh-1"}) {
		t.Fatalf("read before the purge: %v", got)
	}
	// Another account, kept forever: its old session stays.
	keepTok := s.CreateApp(t, testserver.AppSpec{Account: "acct-forever"}).Token(t)
	if m, raw := ingestRaw(t, s, keepTok, "acct-forever", bot, "["+old+"]"); m["accepted"] != 1 {
		t.Fatalf("an account kept forever: %s", raw)
	}
	waitFor(t, "purged", func() bool { return len(readIDs(t, s, tok, account, bot)) == 0 })
	sum := summaryOf(t, s, tok, account, bot)
	if sum.Totals.Sessions != 0 {
		t.Fatalf("summary after the purge counts %d sessions", sum.Totals.Sessions)
	}
	if m, raw := ingestRaw(t, s, tok, account, bot, "["+fresh+"]"); m["expired"] != 1 || m["accepted"] != 0 {
		t.Fatalf("a retry of a purged session's event: %s, want expired", raw)
	}
	if got := readIDs(t, s, keepTok, "acct-forever", bot); !slices.Equal(got, []string{"old-1"}) {
		t.Fatalf("the account kept forever lost its session: %v", got)
	}
	if !strings.Contains(s.Stderr.String(), "retention purge") {
		t.Errorf("no purge in the log:\n%s", s.Stderr.String())
	}
}

// summaryOf asks for the last day's summary of bot.
func summaryOf(t *testing.T, s *testserver.Server, tok, account, bot string) sumAnswer {
	t.Helper()
	resp, body := s.Do(t, http.MethodPost, summaryPath(bot), testserver.Headers(tok, account), `{}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("summary: %d %s", resp.StatusCode, body)
	}
	var a sumAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// replayIDs replays bot's stream from the start on s for a moment and returns the session ids.
func replayIDs(t *testing.T, s *testserver.Server, tok, account, bot string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+readPath(bot)+"/stream", nil)
	req.Header["auth"] = []string{tok}
	req.Header["accountId"] = []string{account}
	req.Header.Set("Last-Event-ID", "0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ids []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
			var k koreSession
			if json.Unmarshal([]byte(strings.TrimSpace(d)), &k) == nil && k.SessionID != "" {
				ids = append(ids, k.SessionID)
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// erasureAnswer is the GET answer of an erasure request.
type erasureAnswer struct {
	RequestID      string  `json:"requestId"`
	Status         string  `json:"status"`
	UserIDs        int     `json:"userIds"`
	SessionsErased int     `json:"sessionsErased"`
	RequestedAt    string  `json:"requestedAt"`
	CompletedAt    *string `json:"completedAt"`
}

// requestErasure posts an erasure and returns its id.
func requestErasure(t *testing.T, s *testserver.Server, tok, account string, ids ...string) string {
	t.Helper()
	b, _ := json.Marshal(map[string][]string{"userIds": ids})
	resp, body := s.Do(t, http.MethodPost, "/api/public/erasures", testserver.Headers(tok, account), string(b))
	var a erasureAnswer
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &a) != nil || !strings.HasPrefix(a.RequestID, "er-") || a.Status != "pending" {
		t.Fatalf("erasure request: %d %s", resp.StatusCode, body)
	}
	return a.RequestID
}

// erasureStatus reads an erasure request on s.
func erasureStatus(t *testing.T, s *testserver.Server, tok, account, id string) (int, erasureAnswer) {
	t.Helper()
	resp, body := s.Do(t, http.MethodGet, "/api/public/erasures/"+id, testserver.Headers(tok, account), "")
	var a erasureAnswer
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, a
}

// waitErased polls the request on s until it is done and returns it.
func waitErased(t *testing.T, s *testserver.Server, tok, account, id string) erasureAnswer {
	t.Helper()
	var a erasureAnswer
	waitFor(t, "done", func() bool {
		var code int
		code, a = erasureStatus(t, s, tok, account, id)
		return code == http.StatusOK && a.Status == "done"
	})
	return a
}
