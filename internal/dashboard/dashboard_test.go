package dashboard_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/dashboard"
	"github.com/intentrt/intentrt/internal/testserver"
)

// client sends a dashboard request with optional cookie and headers.
func send(t *testing.T, s *testserver.Server, method, path, cookie, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: dashboard.CookieName, Value: cookie})
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func signInBody(account, clientID, secret string) string {
	b, _ := json.Marshal(map[string]string{"accountId": account, "clientId": clientID, "clientSecret": secret})
	return string(b)
}

func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == dashboard.CookieName {
			return c
		}
	}
	return nil
}

// TestSignIn: the credentials checks, the CSRF checks and the cookie's attributes.
func TestSignIn(t *testing.T) {
	s := testserver.Start(t)
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct-1", Bots: []string{"st-1"}})
	ingestOnly := s.CreateApp(t, testserver.AppSpec{Account: "acct-1", Scopes: []auth.Scope{auth.ScopeIngest}})
	csrf := map[string]string{dashboard.CSRFHeader: "1", "Content-Type": "application/json"}
	const wrong = "the account id, client id or client secret is wrong"
	cases := []struct {
		name, body string
		hdr        map[string]string
		status     int
		msg        string
	}{
		{"no CSRF header", signInBody("acct-1", app.ClientID, app.ClientSecret), nil, 403, "missing header"},
		{"foreign origin", signInBody("acct-1", app.ClientID, app.ClientSecret),
			map[string]string{dashboard.CSRFHeader: "1", "Origin": "https://evil.example"}, 403, "cross-origin"},
		{"wrong secret", signInBody("acct-1", app.ClientID, "nope"), csrf, 401, wrong},
		{"wrong account", signInBody("acct-2", app.ClientID, app.ClientSecret), csrf, 401, wrong},
		{"unknown app", signInBody("acct-1", "cs-unknown", app.ClientSecret), csrf, 401, wrong},
		{"no analytics scope", signInBody("acct-1", ingestOnly.ClientID, ingestOnly.ClientSecret), csrf, 403, "scope"},
		{"missing field", `{"accountId":"acct-1"}`, csrf, 400, "required"},
		{"unknown field", `{"accountId":"acct-1","password":"x"}`, csrf, 400, "JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := send(t, s, http.MethodPost, "/ui/api/session", "", tc.body, tc.hdr)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.msg) || sessionCookie(resp) != nil {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
		})
	}

	resp, body := send(t, s, http.MethodPost, "/ui/api/session", "", signInBody("acct-1", app.ClientID, app.ClientSecret),
		map[string]string{dashboard.CSRFHeader: "1", "Origin": s.URL})
	c := sessionCookie(resp)
	if resp.StatusCode != 200 || c == nil {
		t.Fatalf("sign in: %d %s", resp.StatusCode, body)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure || c.MaxAge <= 0 {
		t.Fatalf("cookie attributes %+v", c)
	}
	if strings.Contains(body, app.ClientSecret) || strings.Contains(c.Value, app.ClientSecret) {
		t.Fatal("the secret came back to the browser")
	}
	if want := `{"accountId":"acct-1","clientId":"` + app.ClientID + `","bots":["st-1"],"allBots":false}`; strings.TrimSpace(body) != want {
		t.Fatalf("sign-in answer %s", body)
	}
	if strings.Contains(s.Stderr.String(), app.ClientSecret) {
		t.Fatal("the secret is in the logs")
	}

	// Sign-out needs the CSRF header too, and clears the cookie.
	if resp, _ := send(t, s, http.MethodDelete, "/ui/api/session", c.Value, "", nil); resp.StatusCode != 403 {
		t.Fatalf("sign-out without CSRF header: %d", resp.StatusCode)
	}
	resp, _ = send(t, s, http.MethodDelete, "/ui/api/session", c.Value, "", map[string]string{dashboard.CSRFHeader: "1"})
	if out := sessionCookie(resp); resp.StatusCode != 204 || out == nil || out.MaxAge >= 0 {
		t.Fatalf("sign-out: %d %+v", resp.StatusCode, out)
	}
}

// TestCookieRoutes: what the cookie opens, what it does not, tampering and revocation.
func TestCookieRoutes(t *testing.T) {
	s := testserver.Start(t)
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct-1", Bots: []string{"st-1"}})
	tok := app.Token(t)
	s.Ingest(t, tok, "acct-1", "st-1", `[{"type":"session.completed","sessionId":"old","channel":"rtm","ANI":"a","DNI":"d","userId":"u",
		"startTime":"2026-01-06T14:07:08Z","endTime":"2026-01-06T14:08:08Z","intents":["Pay Bill"],"status":"completed"}]`)
	resp, body := send(t, s, http.MethodPost, "/ui/api/session", "", signInBody("acct-1", app.ClientID, app.ClientSecret),
		map[string]string{dashboard.CSRFHeader: "1"})
	if resp.StatusCode != 200 {
		t.Fatalf("sign in: %d %s", resp.StatusCode, body)
	}
	ck := sessionCookie(resp).Value

	if resp, body := send(t, s, http.MethodGet, "/ui/api/session", "", "", nil); resp.StatusCode != 401 {
		t.Fatalf("without cookie: %d %s", resp.StatusCode, body)
	}
	tampered := ck[:len(ck)-2] + "AA"
	if resp, body := send(t, s, http.MethodGet, "/ui/api/bots/st-1/sessions", tampered, "", nil); resp.StatusCode != 401 {
		t.Fatalf("tampered cookie: %d %s", resp.StatusCode, body)
	}
	if resp, body := send(t, s, http.MethodGet, "/ui/api/bots/st-other/sessions", ck, "", nil); resp.StatusCode != 403 {
		t.Fatalf("bot the app may not reach: %d %s", resp.StatusCode, body)
	}
	resp, body = send(t, s, http.MethodGet, "/ui/api/bots/st-1/sessions", ck, "", nil)
	var recent struct {
		Cursor   string `json:"cursor"`
		Sessions []struct {
			SessionID string   `json:"sessionId"`
			Intent    []string `json:"intent"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(body), &recent); err != nil || resp.StatusCode != 200 || len(recent.Sessions) != 1 || recent.Cursor == "" {
		t.Fatalf("sessions: %d %s", resp.StatusCode, body)
	}

	// The stream behind the cookie, resumed from the listed sessions' cursor: the next session
	// ingested is the first session event.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/ui/api/bots/st-1/stream?lastEventId="+recent.Cursor, nil)
	req.AddCookie(&http.Cookie{Name: dashboard.CookieName, Value: ck})
	sresp, err := http.DefaultClient.Do(req)
	if err != nil || sresp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", err, sresp)
	}
	defer sresp.Body.Close()
	s.Ingest(t, tok, "acct-1", "st-1", `[{"type":"session.completed","sessionId":"new","channel":"rtm","ANI":"a","DNI":"d","userId":"u",
		"startTime":"2026-01-06T14:07:08Z","endTime":"2026-01-06T14:09:08Z","status":"Dropoff"}]`)
	if l := firstSessionEvent(t, sresp.Body); !strings.Contains(l, `"sessionId":"new"`) {
		t.Fatalf("first event %s", l)
	}

	// Revoking the app ends its dashboard sessions within the contract's 5 s.
	s.CLI(t, "apps", "revoke", app.ClientID)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, _ := send(t, s, http.MethodGet, "/ui/api/session", ck, "", nil)
		if resp.StatusCode == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cookie still accepted 10s after revocation: %d", resp.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPage: the page and its assets come from the binary, with nothing loaded from elsewhere.
func TestPage(t *testing.T) {
	s := testserver.Start(t)
	for _, path := range []string{"/", "/ui/assets/app.js", "/ui/assets/app.css"} {
		resp, body := send(t, s, http.MethodGet, path, "", "", nil)
		if resp.StatusCode != 200 || len(body) < 500 {
			t.Fatalf("%s: %d (%d bytes)", path, resp.StatusCode, len(body))
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Fatalf("%s: CSP %q", path, csp)
		}
		body = strings.ReplaceAll(body, `'http://www.w3.org/2000/svg'`, "") // a namespace name, not a download
		if strings.Contains(body, "https://") || strings.Contains(body, "http://") {
			t.Fatalf("%s refers to another site", path)
		}
	}
	for _, path := range []string{"/ui/assets/nope.js", "/ui/assets/", "/ui/assets/index.html"} {
		if resp, body := send(t, s, http.MethodGet, path, "", "", nil); resp.StatusCode != 404 || !strings.Contains(body, `"code":404`) {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
}

// firstSessionEvent returns the data line of the first session event of an SSE body; the
// summary.changed notices that come and go with the figures are skipped.
func firstSessionEvent(t *testing.T, body io.Reader) string {
	t.Helper()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	event := ""
	for {
		select {
		case l, ok := <-lines:
			switch {
			case !ok:
				t.Fatal("stream ended")
			case strings.HasPrefix(l, "event: "):
				event = strings.TrimPrefix(l, "event: ")
			case strings.HasPrefix(l, "data: ") && event != "summary.changed":
				return l
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10s")
		}
	}
}
