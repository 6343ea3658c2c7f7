package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/testserver"
)

// TestCLIAppsAgainstRunningServer drives a running server with apps and tokens made by the
// command line, as an operator does: tokens from "intentrt token" are accepted, "apps revoke"
// takes effect without a restart, and after all of it neither the server's logs nor its stdout
// hold a client secret or a token — not even with debug logging, nor when a client puts the
// token in the URL.
func TestCLIAppsAgainstRunningServer(t *testing.T) {
	s := testserver.Start(t, "--log-level", "debug", "--log-flush", "1h") // buffered: every line must still be written by shutdown
	const acct, bot = "acct-cli", "st-cli"
	create := func(extra ...string) testserver.CreatedApp {
		out := s.CLI(t, append([]string{"apps", "create", "--account", acct, "--bot", bot,
			"--scope", string(auth.ScopeAnalytics), "--scope", string(auth.ScopeIngest)}, extra...)...)
		var a testserver.CreatedApp
		if err := json.Unmarshal([]byte(out), &a); err != nil || a.ClientSecret == "" {
			t.Fatalf("apps create printed %q (%v)", out, err)
		}
		return a
	}
	app, jtiApp := create(), create("--enforce-jti")
	secrets := []string{app.ClientSecret, jtiApp.ClientSecret}
	var tokens []string
	token := func(a testserver.CreatedApp, args ...string) string {
		tok := strings.TrimSpace(testserver.RunCLI(t, append([]string{"token", "--client-id", a.ClientID, "--client-secret", a.ClientSecret}, args...)...))
		tokens = append(tokens, tok)
		return tok
	}
	status := func(method, path string, headers map[string]string, body string) int {
		t.Helper()
		resp, b := s.Do(t, method, path, headers, body)
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return resp.StatusCode
	}
	read := "/api/public/bot/" + bot + "/intentrealtimedata"
	ingest := "/api/public/bot/" + bot + "/sessionevents"
	ev := `[{"type":"session.completed","sessionId":"s-cli","channel":"rtm","startTime":"2026-11-24T10:00:00Z","endTime":"2026-11-24T10:01:00Z","status":"completed"}]`

	for _, tc := range []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		body    string
		want    int
	}{
		{"ingest HS256", "POST", ingest, map[string]string{"auth": token(app), "accountId": acct, "Content-Type": "application/json"}, ev, 200},
		{"read HS512", "POST", read, map[string]string{"auth": token(app, "--alg", "HS512"), "accountId": acct}, "", 200},
		{"read bearer", "GET", read, map[string]string{"Authorization": "Bearer " + token(app), "accountId": acct}, "", 200},
		{"read token in the URL", "POST", read + "?auth=" + token(app), map[string]string{"accountId": acct}, "", 401},
		{"read no-exp token", "POST", read, map[string]string{"auth": token(app, "--ttl", "0"), "accountId": acct}, "", 200},
		{"jti app needs jti", "POST", read, map[string]string{"auth": token(jtiApp), "accountId": acct}, "", 401},
		{"jti app wrong secret", "POST", read, map[string]string{"auth": signedWith(t, jtiApp.ClientID, app.ClientSecret, &tokens), "accountId": acct}, "", 401},
		{"wrong account", "POST", read, map[string]string{"auth": token(app), "accountId": "acct-else"}, "", 403},
	} {
		if got := status(tc.method, tc.path, tc.headers, tc.body); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	jtiTok := token(jtiApp, "--jti", "--ttl", "10m")
	if got := status("POST", read, map[string]string{"auth": jtiTok, "accountId": acct}, ""); got != 200 {
		t.Errorf("jti token: %d", got)
	}
	if got := status("POST", read, map[string]string{"auth": jtiTok, "accountId": acct}, ""); got != 401 {
		t.Errorf("replayed jti token: %d, want 401", got)
	}
	streamOnce(t, s, bot, acct, token(app))

	// The dashboard's sign-in carries the secret itself in its body; its cookie is a credential.
	signIn := `{"accountId":"` + acct + `","clientId":"` + app.ClientID + `","clientSecret":"` + app.ClientSecret + `"}`
	resp, _ := s.Do(t, "POST", "/ui/api/session", map[string]string{"Content-Type": "application/json", "X-Intentrt-Csrf": "1"}, signIn)
	var cookies []string
	for _, c := range resp.Cookies() {
		cookies = append(cookies, c.Value)
	}
	if resp.StatusCode != 200 || len(cookies) != 1 {
		t.Fatalf("dashboard sign-in: %d, cookies %v", resp.StatusCode, cookies)
	}
	if got := status("GET", "/ui/api/bots/"+bot+"/sessions", map[string]string{"Cookie": "intentrt_session=" + cookies[0]}, ""); got != 200 {
		t.Errorf("dashboard sessions: %d", got)
	}
	bad := `{"accountId":"` + acct + `","clientId":"` + app.ClientID + `","clientSecret":"` + jtiApp.ClientSecret + `"}`
	if got := status("POST", "/ui/api/session", map[string]string{"Content-Type": "application/json", "X-Intentrt-Csrf": "1"}, bad); got != 401 {
		t.Errorf("dashboard sign-in with another app's secret: %d", got)
	}

	// Revoke while serving: the contract allows 5 s for the server to notice.
	tok := token(app)
	s.CLI(t, "apps", "revoke", app.ClientID)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := status("POST", read, map[string]string{"auth": tok, "accountId": acct}, "")
		if got == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a revoked app's token still gets %d after 5 s", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if strings.Contains(s.CLI(t, "apps", "list"), app.ClientSecret) {
		t.Errorf("apps list shows a secret")
	}

	if err := s.Stop(); err != nil { // the shutdown's log lines count too
		t.Fatal(err)
	}
	logs, stdout := s.Stderr.String(), s.Stdout.String()
	if !strings.Contains(logs, app.ClientID) || strings.Count(logs, "msg=request") < 10 {
		t.Fatalf("the logs do not show the scenario's requests; the check below would be vacuous:\n%s", logs)
	}
	for _, secret := range secrets {
		if strings.Contains(logs, secret) || strings.Contains(stdout, secret) {
			t.Errorf("a client secret appears in the server's output")
		}
	}
	for _, tok := range tokens {
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			t.Fatalf("token %q is not a JWT", tok)
		}
		for _, leak := range []string{tok, parts[2]} { // the whole token, or its signature
			if strings.Contains(logs, leak) || strings.Contains(stdout, leak) {
				t.Errorf("a token appears in the server's output: %.20s…", leak)
			}
		}
	}
	for _, c := range cookies {
		for _, leak := range []string{c, c[strings.LastIndex(c, ".")+1:]} { // the cookie, or its MAC
			if strings.Contains(logs, leak) || strings.Contains(stdout, leak) {
				t.Errorf("the dashboard cookie appears in the server's output")
			}
		}
	}
	if t.Failed() {
		t.Logf("server logs:\n%s", logs)
	}
}

// signedWith mints a token claiming clientID but signed with another secret, and records it.
func signedWith(t *testing.T, clientID, secret string, tokens *[]string) string {
	t.Helper()
	tok, err := auth.Mint(clientID, secret, auth.MintOptions{TTL: time.Minute, JTI: true})
	if err != nil {
		t.Fatal(err)
	}
	*tokens = append(*tokens, tok)
	return tok
}

// streamOnce opens the live stream with tok and reads its first line, so that the stream's
// logging is part of what is checked for leaks.
func streamOnce(t *testing.T, s *testserver.Server, bot, acct, tok string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/public/bot/"+bot+"/intentrealtimedata/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("auth", tok)
	req.Header.Set("accountId", acct)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
		t.Fatalf("stream: %v", err)
	}
}
