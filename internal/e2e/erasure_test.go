package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

// Distinctive user ids, so that a search of the logs can only find them if they were written.
const (
	eraseUser = "erase-me-Zq81Lx"
	keepUser  = "keep-me-Pw52Ty"
)

func TestErasureSQLite(t *testing.T) {
	s := testserver.Start(t)
	testErasure(t, s, s)
}

// TestErasurePostgres requests the erasure on node A and checks node B: once the request says
// done, B's read, summary, stream replay and export no longer show the users.
func TestErasurePostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	testErasure(t, testserver.StartDB(t, dsn), testserver.StartDB(t, dsn))
}

func testErasure(t *testing.T, a, b *testserver.Server) {
	const account, other = "acct-erasure", "acct-erasure-other"
	app := a.CreateApp(t, testserver.AppSpec{Account: account})
	tok := app.Token(t)
	otherTok := a.CreateApp(t, testserver.AppSpec{Account: other}).Token(t)
	now := time.Now().Add(-time.Hour)
	ev := func(sid, user string, i int) string {
		return completedAt(sid, user, now.Add(time.Duration(i)*time.Second))
	}
	a.Ingest(t, tok, account, "b1", "["+ev("s1", eraseUser, 1)+","+ev("s2", eraseUser, 2)+","+ev("s3", keepUser, 3)+"]")
	a.Ingest(t, tok, account, "b2", "["+ev("s4", eraseUser, 4)+"]")
	a.Ingest(t, otherTok, other, "b1", "["+ev("o1", eraseUser, 5)+"]")

	checkErasureRefusals(t, a, account, tok)
	// Read first, so that a node's read cache holds the answer the erasure must clear.
	for _, s := range []*testserver.Server{a, b} {
		if ids := readIDs(t, s, tok, account, "b1"); len(ids) != 3 {
			t.Fatalf("read before erasure: %v", ids)
		}
	}

	stream := openStream(t, b, tok, account, "b2") // on the other node
	id := requestErasure(t, a, tok, account, eraseUser, "nobody-has-this-id")
	got := waitErased(t, a, tok, account, id)
	if got.SessionsErased != 3 || got.UserIDs != 2 || got.CompletedAt == nil || got.RequestedAt == "" {
		t.Fatalf("done request: %+v, want 3 sessions of 2 ids", got)
	}
	if code, _ := erasureStatus(t, a, otherTok, other, id); code != http.StatusNotFound {
		t.Fatalf("another account's request: %d, want 404", code)
	}
	checkErasedEverywhere(t, b, apiEnv{s: b, app: app, account: account})
	waitNotice(t, stream)
	// Another account's user of the same id is not touched.
	if ids := readIDs(t, b, otherTok, other, "b1"); !slices.Equal(ids, []string{"o1"}) {
		t.Fatalf("the other account after erasure: %v", ids)
	}
	// A producer's retry does not bring them back; a new session of the user is stored.
	if acc, dup := a.Ingest(t, tok, account, "b1", "["+ev("s1", eraseUser, 1)+"]"); acc != 0 || dup != 1 {
		t.Fatalf("retry of an erased event: accepted %d duplicates %d", acc, dup)
	}
	a.Ingest(t, tok, account, "b1", "["+ev("s9", eraseUser, 9)+"]")
	// (Through the other node: within the read cache's delay for another node's commit.)
	waitFor(t, "the new session read through the other node", func() bool {
		return slices.Equal(readIDs(t, b, tok, account, "b1"), []string{"s3", "s9"})
	})
	for _, s := range []*testserver.Server{a, b} {
		if strings.Contains(s.Stderr.String(), eraseUser) {
			t.Fatalf("a user id in the server log:\n%s", s.Stderr.String())
		}
	}
	if !strings.Contains(a.Stderr.String()+b.Stderr.String(), "outcome=done") {
		t.Errorf("no erasure outcome in the logs")
	}
}

// checkErasedEverywhere: read, summary, stream replay and export of the account on s show
// only keepUser's session s3.
func checkErasedEverywhere(t *testing.T, s *testserver.Server, env apiEnv) {
	t.Helper()
	tok, account := env.app.Token(t), env.account
	if ids := readIDs(t, s, tok, account, "b1"); !slices.Equal(ids, []string{"s3"}) {
		t.Fatalf("read b1 after erasure: %v", ids)
	}
	if ids := readIDs(t, s, tok, account, "b2"); len(ids) != 0 {
		t.Fatalf("read b2 after erasure: %v", ids)
	}
	if sum := summaryOf(t, s, tok, account, "b1"); sum.Totals.Sessions != 1 {
		t.Fatalf("summary of b1 after erasure counts %d sessions, want 1", sum.Totals.Sessions)
	}
	if ids := replayIDs(t, s, tok, account, "b1"); !slices.Equal(ids, []string{"s3"}) {
		t.Fatalf("stream replay of b1 after erasure: %v", ids)
	}
	if out := string(mustExport(t, env, "b1", "application/x-ndjson", `{}`)); strings.Contains(out, eraseUser) || !strings.Contains(out, keepUser) {
		t.Fatalf("export after erasure: %s", out)
	}
	checkDashboardErased(t, s, env)
}

// checkDashboardErased signs in to the dashboard as the app and reads its table of b1, and a
// search for the erased user: only keepUser's session.
func checkDashboardErased(t *testing.T, s *testserver.Server, env apiEnv) {
	t.Helper()
	signIn := `{"accountId":"` + env.account + `","clientId":"` + env.app.ClientID + `","clientSecret":"` + env.app.ClientSecret + `"}`
	resp, body := s.Do(t, http.MethodPost, "/ui/api/session", csrfJSON, signIn)
	if resp.StatusCode != http.StatusOK || len(resp.Cookies()) == 0 {
		t.Fatalf("dashboard sign-in: %d %s", resp.StatusCode, body)
	}
	cookie := map[string]string{"Cookie": resp.Cookies()[0].Name + "=" + resp.Cookies()[0].Value}
	for _, q := range []string{"", "?q=" + eraseUser} {
		resp, body := s.Do(t, http.MethodGet, "/ui/api/bots/b1/sessions"+q, cookie, "")
		var table struct{ Sessions []koreSession }
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &table) != nil {
			t.Fatalf("dashboard table%s: %d %s", q, resp.StatusCode, body)
		}
		want := 1
		if q != "" {
			want = 0
		}
		if len(table.Sessions) != want || strings.Contains(string(body), eraseUser) {
			t.Fatalf("dashboard table%s after erasure: %s", q, body)
		}
	}
}

// checkErasureRefusals: a bad body is a 400 naming the field; an app without the scope, or
// limited to some bots, is refused with 403.
func checkErasureRefusals(t *testing.T, s *testserver.Server, account, tok string) {
	t.Helper()
	for _, c := range []struct{ body, field string }{
		{`{}`, "userIds"},
		{`{"userIds":[]}`, "userIds"},
		{`{"userIDs":["x"]}`, "userIDs"},
		{`{"userIds":["x",""]}`, "userIds[1]"},
		{`{"userIds":"x"}`, "userIds"},
		{`{"userIds":["` + strings.Repeat(`x","`, 1000) + `x"]}`, "userIds"},
	} {
		resp, body := s.Do(t, http.MethodPost, "/api/public/erasures", testserver.Headers(tok, account), c.body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), c.field) {
			t.Errorf("body %.40s: %d %s, want 400 naming %s", c.body, resp.StatusCode, body, c.field)
		}
	}
	noScope := s.CreateApp(t, testserver.AppSpec{Account: account, Scopes: []auth.Scope{auth.ScopeAnalytics}}).Token(t)
	someBots := s.CreateApp(t, testserver.AppSpec{Account: account, Bots: []string{"b1", "b2"}}).Token(t)
	for name, tk := range map[string]string{"no scope": noScope, "some bots": someBots} {
		resp, body := s.Do(t, http.MethodPost, "/api/public/erasures", testserver.Headers(tk, account), `{"userIds":["x"]}`)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403", name, resp.StatusCode, body)
		}
	}
	if code, _ := erasureStatus(t, s, tok, account, "er-nope"); code != http.StatusNotFound {
		t.Errorf("unknown request: %d, want 404", code)
	}
}

// TestErasureUnderPolicy: under a hash policy the requested ids are pseudonymised as the stored
// ones were, so the raw id finds them; under drop nothing holds an id and nothing is erased.
func TestErasureUnderPolicy(t *testing.T) {
	s := testserver.Start(t)
	const hashed, dropped, bot = "acct-erase-hash", "acct-erase-drop", "st-erase-policy"
	s.CLI(t, "accounts", "set", "--account", hashed, "--user-id", "hash")
	s.CLI(t, "accounts", "set", "--account", dropped, "--user-id", "drop")
	end := time.Now().Add(-time.Hour)
	for _, acct := range []string{hashed, dropped} {
		tok := s.CreateApp(t, testserver.AppSpec{Account: acct}).Token(t)
		s.Ingest(t, tok, acct, bot, "["+completedAt("p1", eraseUser, end)+","+completedAt("p2", keepUser, end)+"]")
		got := waitErased(t, s, tok, acct, requestErasure(t, s, tok, acct, eraseUser))
		ids := readIDs(t, s, tok, acct, bot)
		switch acct {
		case hashed:
			if got.SessionsErased != 1 || !slices.Equal(ids, []string{"p2"}) {
				t.Fatalf("hash: erased %d, left %v; want p1 erased", got.SessionsErased, ids)
			}
		case dropped:
			if got.SessionsErased != 0 || len(ids) != 2 {
				t.Fatalf("drop: erased %d, left %v; want nothing matched", got.SessionsErased, ids)
			}
		}
	}
}

// waitNotice waits for a summary.changed notice on a stream: the erasure is announced to the
// dashboards open on every node.
func waitNotice(t *testing.T, stream <-chan sseEvent) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-stream:
			if !ok {
				t.Fatal("the stream ended before a summary notice")
			}
			if ev.Event == "summary.changed" {
				return
			}
		case <-timeout:
			t.Fatal("no summary.changed on the other node's stream after the erasure")
		}
	}
}
