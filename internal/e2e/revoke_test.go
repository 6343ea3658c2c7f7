package e2e

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

// rawStream opens a stream (the API's or the dashboard's, by path and headers) and returns its
// lines as they arrive; the channel closes when the server ends the response.
func rawStream(t *testing.T, s *testserver.Server, path string, headers map[string]string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header[k] = []string{v}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("open %s: %d", path, resp.StatusCode)
	}
	out := make(chan string, 1024)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			out <- sc.Text()
		}
	}()
	return out
}

// signInCookie signs the dashboard in with an app's credentials and returns the Cookie header.
func signInCookie(t *testing.T, s *testserver.Server, account string, app testserver.CreatedApp) string {
	t.Helper()
	body := `{"accountId":"` + account + `","clientId":"` + app.ClientID + `","clientSecret":"` + app.ClientSecret + `"}`
	resp, b := s.Do(t, http.MethodPost, "/ui/api/session", map[string]string{"Content-Type": "application/json", "X-Intentrt-Csrf": "1"}, body)
	if resp.StatusCode != http.StatusOK || len(resp.Cookies()) != 1 {
		t.Fatalf("sign in: %d %s", resp.StatusCode, b)
	}
	return resp.Cookies()[0].Name + "=" + resp.Cookies()[0].Value
}

// awaitLine waits for a line containing want on a stream, failing after d.
func awaitLine(t *testing.T, name string, lines <-chan string, want string, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("%s ended before %q", name, want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatalf("%s: no %q within %v", name, want, d)
		}
	}
}

// awaitEnd waits until the server ends a stream, which must say why in a last comment, at most
// 5 s after revoked (the contract's bound for a revocation to take effect).
func awaitEnd(t *testing.T, name string, lines <-chan string, revoked time.Time) {
	t.Helper()
	deadline := time.After(time.Until(revoked.Add(5 * time.Second)))
	var last string
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				if !strings.HasPrefix(last, ": closed: the app was revoked") {
					t.Errorf("%s ended without saying why; last line %q", name, last)
				}
				t.Logf("%s ended %v after the revocation", name, time.Since(revoked).Round(time.Millisecond))
				return
			}
			if l != "" {
				last = l
			}
		case <-deadline:
			t.Fatalf("%s still open 5 s after the app was revoked", name)
		}
	}
}

// TestRevokeEndsStreams: an app revoked through the CLI while its API stream and its dashboard
// stream are open has both ended within 5 s, each with a last comment saying why.
func TestRevokeEndsStreams(t *testing.T) {
	s := testserver.Start(t)
	const account, bot = "acct-rv", "st-rv"
	app := s.CreateApp(t, testserver.AppSpec{Account: account})
	tok := app.Token(t)
	api := rawStream(t, s, readPath(bot)+"/stream", testserver.Headers(tok, account))
	ui := rawStream(t, s, "/ui/api/bots/"+bot+"/stream", map[string]string{"Cookie": signInCookie(t, s, account, app)})

	// Both deliver before the revocation.
	s.Ingest(t, tok, account, bot, "["+completed("rv-1", "2026-11-24T06:00:00Z", "2026-11-24T06:01:00Z", "completed", "")+"]")
	awaitLine(t, "API stream", api, `"sessionId":"rv-1"`, 10*time.Second)
	awaitLine(t, "dashboard stream", ui, `"sessionId":"rv-1"`, 10*time.Second)

	s.CLI(t, "apps", "revoke", app.ClientID)
	revoked := time.Now()
	awaitEnd(t, "API stream", api, revoked)
	awaitEnd(t, "dashboard stream", ui, revoked)
}

// TestRevokeEndsStreamsMultiNode: on two nodes of one PostgreSQL database, the streams each
// node holds for an app end within 5 s of its revocation, whichever node was asked to revoke.
func TestRevokeEndsStreamsMultiNode(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := testserver.StartDB(t, dsn)
	b := testserver.StartDB(t, dsn)
	const account, bot = "acct-rvm", "st-rvm"
	app := a.CreateApp(t, testserver.AppSpec{Account: account})
	tok := app.Token(t)
	streams := map[string]<-chan string{
		"API stream on A":       rawStream(t, a, readPath(bot)+"/stream", testserver.Headers(tok, account)),
		"API stream on B":       rawStream(t, b, readPath(bot)+"/stream", testserver.Headers(tok, account)),
		"dashboard stream on B": rawStream(t, b, "/ui/api/bots/"+bot+"/stream", map[string]string{"Cookie": signInCookie(t, b, account, app)}),
	}
	a.Ingest(t, tok, account, bot, "["+completed("rvm-1", "2026-11-24T06:00:00Z", "2026-11-24T06:01:00Z", "completed", "")+"]")
	for name, lines := range streams {
		awaitLine(t, name, lines, `"sessionId":"rvm-1"`, 10*time.Second)
	}
	testserver.RunCLI(t, "apps", "revoke", app.ClientID, "--db", dsn)
	revoked := time.Now()
	for name, lines := range streams {
		awaitEnd(t, name, lines, revoked)
	}
}
