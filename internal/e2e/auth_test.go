package e2e

import (
	"encoding/base64"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/testserver"
)

// signToken signs claims with method and key exactly as given: the tests craft tokens a
// well-behaved client would never send.
func signToken(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestAuthMatrix walks the contract's authentication and authorisation rules, one case each.
func TestAuthMatrix(t *testing.T) {
	s := testserver.Start(t)
	const acct, bot = "acct-auth", "st-auth"
	both := []auth.Scope{auth.ScopeAnalytics, auth.ScopeIngest}
	full := s.CreateApp(t, testserver.AppSpec{Account: acct, Bots: []string{bot}, Scopes: both})
	readOnly := s.CreateApp(t, testserver.AppSpec{Account: acct, Bots: []string{bot}, Scopes: []auth.Scope{auth.ScopeAnalytics}})
	ingestOnly := s.CreateApp(t, testserver.AppSpec{Account: acct, Bots: []string{bot}, Scopes: []auth.Scope{auth.ScopeIngest}})
	allBots := s.CreateApp(t, testserver.AppSpec{Account: acct, Scopes: both})
	jti := s.CreateApp(t, testserver.AppSpec{Account: acct, Bots: []string{bot}, Scopes: both, EnforceJTI: true})

	now := time.Now()
	claims := func(app testserver.CreatedApp, extra jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{"appId": app.ClientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
				continue
			}
			c[k] = v
		}
		return c
	}
	hs256 := func(app testserver.CreatedApp, extra jwt.MapClaims) string {
		return signToken(t, jwt.SigningMethodHS256, []byte(app.ClientSecret), claims(app, extra))
	}
	const event = `[{"type":"session.started","sessionId":"s-auth","time":"2024-01-06T14:00:00Z","channel":"rtm"}]`

	type req struct {
		name    string
		route   string // "read" or "ingest"
		bot     string
		headers map[string]string
		status  int
		msg     string // a part of the error message
	}
	tokenHdr := func(tok string) map[string]string { return testserver.Headers(tok, acct) }
	cases := []req{
		{name: "no token", headers: map[string]string{"accountId": acct}, status: 401, msg: "JWT"},
		{name: "empty auth header", headers: tokenHdr(""), status: 401},
		{name: "not a JWT", headers: tokenHdr("not-a-token"), status: 401, msg: "malformed"},
		{name: "alg none", headers: tokenHdr(signToken(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(full, nil))), status: 401},
		{name: "header swapped to alg none, HS256 signature kept", headers: tokenHdr(func() string {
			parts := strings.Split(hs256(full, nil), ".")
			parts[0] = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
			return strings.Join(parts, ".")
		}()), status: 401},
		{name: "header swapped to HS512, HS256 signature kept", headers: tokenHdr(func() string {
			parts := strings.Split(hs256(full, nil), ".")
			parts[0] = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS512","typ":"JWT"}`))
			return strings.Join(parts, ".")
		}()), status: 401},
		{name: "claims changed after signing", headers: tokenHdr(func() string {
			parts := strings.Split(hs256(readOnly, nil), ".")
			parts[1] = base64.RawURLEncoding.EncodeToString([]byte(`{"appId":"` + full.ClientID + `"}`))
			return strings.Join(parts, ".")
		}()), status: 401},
		{name: "wrong secret", headers: tokenHdr(signToken(t, jwt.SigningMethodHS256, []byte("not-the-secret"), claims(full, nil))), status: 401, msg: "signature"},
		{name: "another app's secret", headers: tokenHdr(signToken(t, jwt.SigningMethodHS256, []byte(readOnly.ClientSecret), claims(full, nil))), status: 401},
		{name: "unknown app", headers: tokenHdr(signToken(t, jwt.SigningMethodHS256, []byte(full.ClientSecret), claims(full, jwt.MapClaims{"appId": "cs-" + uuid.NewString()}))), status: 401, msg: "unknown app"},
		{name: "HS384", headers: tokenHdr(signToken(t, jwt.SigningMethodHS384, []byte(full.ClientSecret), claims(full, nil))), status: 401},
		{name: "HS256", headers: tokenHdr(hs256(full, nil)), status: 200},
		{name: "HS512", headers: tokenHdr(signToken(t, jwt.SigningMethodHS512, []byte(full.ClientSecret), claims(full, nil))), status: 200},
		{name: "expired beyond the leeway", headers: tokenHdr(hs256(full, jwt.MapClaims{"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-2 * time.Minute).Unix()})), status: 401, msg: "expired"},
		{name: "expired within the leeway", headers: tokenHdr(hs256(full, jwt.MapClaims{"exp": now.Add(-5 * time.Second).Unix()})), status: 200},
		{name: "nbf in the future", headers: tokenHdr(hs256(full, jwt.MapClaims{"nbf": now.Add(5 * time.Minute).Unix()})), status: 401, msg: "nbf"},
		{name: "nbf in the past", headers: tokenHdr(hs256(full, jwt.MapClaims{"nbf": now.Add(-time.Minute).Unix()})), status: 200},
		{name: "iat in the future", headers: tokenHdr(hs256(full, jwt.MapClaims{"iat": now.Add(5 * time.Minute).Unix()})), status: 401, msg: "iat"},
		{name: "claim appid instead of appId", headers: tokenHdr(hs256(full, jwt.MapClaims{"appId": nil, "appid": full.ClientID})), status: 401, msg: "appId"},
		{name: "claim clientId instead of appId", headers: tokenHdr(hs256(full, jwt.MapClaims{"appId": nil, "clientId": full.ClientID})), status: 401, msg: "appId"},
		{name: "appId not a string", headers: tokenHdr(hs256(full, jwt.MapClaims{"appId": 12345})), status: 401},
		{name: "sub is optional", headers: tokenHdr(hs256(full, jwt.MapClaims{"sub": "someone"})), status: 200},
		{name: "no exp for a normal app", headers: tokenHdr(hs256(full, jwt.MapClaims{"exp": nil})), status: 200},
		{name: "no iat and no exp", headers: tokenHdr(hs256(full, jwt.MapClaims{"exp": nil, "iat": nil})), status: 200},
		{name: "Authorization: Bearer", headers: map[string]string{"Authorization": "Bearer " + hs256(full, nil), "accountId": acct}, status: 200},
		{name: "Authorization: bearer, scheme in any casing", headers: map[string]string{"Authorization": "bearer " + hs256(full, nil), "accountId": acct}, status: 200},
		{name: "Authorization: Basic", headers: map[string]string{"Authorization": "Basic " + hs256(full, nil), "accountId": acct}, status: 401},
		{name: "Authorization without Bearer", headers: map[string]string{"Authorization": hs256(full, nil), "accountId": acct}, status: 401},
		{name: "missing accountId", headers: map[string]string{"auth": hs256(full, nil)}, status: 400, msg: "accountId"},
		{name: "accountId too long", headers: testserver.Headers(hs256(full, nil), strings.Repeat("a", 129)), status: 400, msg: "accountId"},
		{name: "botId too long", bot: strings.Repeat("b", 129), headers: tokenHdr(hs256(full, nil)), status: 400, msg: "botId"},
		{name: "other accountId", headers: testserver.Headers(hs256(full, nil), "acct-other"), status: 403, msg: "account"},
		{name: "bot not in the app's list", bot: "st-other", headers: tokenHdr(hs256(full, nil)), status: 403, msg: "bot"},
		{name: "all-bots app reaches any bot", bot: "st-any-" + uuid.NewString(), headers: tokenHdr(hs256(allBots, nil)), status: 200},
		{name: "all-bots app ingests into any bot", route: "ingest", bot: "st-any-" + uuid.NewString(), headers: tokenHdr(hs256(allBots, nil)), status: 200},
		{name: "all-bots app stays in its account", headers: testserver.Headers(hs256(allBots, nil), "acct-other"), status: 403},
		{name: "read without SmartAssist Analytics", headers: tokenHdr(hs256(ingestOnly, nil)), status: 403, msg: "SmartAssist Analytics"},
		{name: "ingest without Session Ingest", route: "ingest", headers: tokenHdr(hs256(readOnly, nil)), status: 403, msg: "Session Ingest"},
		{name: "ingest with Session Ingest", route: "ingest", headers: tokenHdr(hs256(ingestOnly, nil)), status: 200},
		{name: "ingest without token", route: "ingest", headers: map[string]string{"accountId": acct}, status: 401},
		{name: "enforce-JTI: no jti", headers: tokenHdr(hs256(jti, nil)), status: 401, msg: "jti"},
		{name: "enforce-JTI: exp more than 1 h after iat", headers: tokenHdr(hs256(jti, jwt.MapClaims{"jti": uuid.NewString(), "exp": now.Add(2 * time.Hour).Unix()})), status: 401, msg: "hour"},
		{name: "enforce-JTI: no exp", headers: tokenHdr(hs256(jti, jwt.MapClaims{"jti": uuid.NewString(), "exp": nil})), status: 401, msg: "exp"},
		{name: "enforce-JTI: valid", headers: tokenHdr(hs256(jti, jwt.MapClaims{"jti": uuid.NewString()})), status: 200},
		{name: "enforce-JTI: valid on ingest", route: "ingest", headers: tokenHdr(hs256(jti, jwt.MapClaims{"jti": uuid.NewString()})), status: 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.bot
			if b == "" {
				b = bot
			}
			path, body := readPath(b), ""
			if c.route == "ingest" {
				path, body = ingestPath(b), event
				c.headers["Content-Type"] = "application/json"
			}
			resp, respBody := s.Do(t, http.MethodPost, path, c.headers, body)
			if c.status == http.StatusOK {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d, want 200: %s", resp.StatusCode, respBody)
				}
				return
			}
			var parts []string
			if c.msg != "" {
				parts = append(parts, c.msg)
			}
			msg := wantError(t, resp, respBody, c.status, parts...)
			for _, secret := range []string{full.ClientSecret, jti.ClientSecret, allBots.ClientSecret} {
				if strings.Contains(msg, secret) {
					t.Fatalf("error message shows a secret: %q", msg)
				}
			}
		})
	}

	t.Run("enforce-JTI: replay", func(t *testing.T) {
		tok := hs256(jti, jwt.MapClaims{"jti": uuid.NewString()})
		resp, body := s.Do(t, http.MethodPost, readPath(bot), tokenHdr(tok), "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("first use: %d %s", resp.StatusCode, body)
		}
		resp, body = s.Do(t, http.MethodPost, readPath(bot), tokenHdr(tok), "")
		wantError(t, resp, body, http.StatusUnauthorized, "jti")
	})
	t.Run("enforce-JTI: a jti is per app", func(t *testing.T) {
		// Another enforce-JTI app may use the same jti: the record is per client id.
		other := s.CreateApp(t, testserver.AppSpec{Account: acct, Bots: []string{bot}, Scopes: both, EnforceJTI: true})
		id := uuid.NewString()
		for _, app := range []testserver.CreatedApp{jti, other} {
			resp, body := s.Do(t, http.MethodPost, readPath(bot), tokenHdr(hs256(app, jwt.MapClaims{"jti": id})), "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("app %s: %d %s", app.ClientID, resp.StatusCode, body)
			}
		}
	})
	t.Run("a normal app may reuse a token", func(t *testing.T) {
		tok := hs256(full, jwt.MapClaims{"jti": uuid.NewString()})
		for i := range 2 {
			if resp, body := s.Do(t, http.MethodPost, readPath(bot), tokenHdr(tok), ""); resp.StatusCode != http.StatusOK {
				t.Fatalf("use %d: %d %s", i, resp.StatusCode, body)
			}
		}
	})
}

// TestRevokedAppRefused revokes an app through the CLI while the server runs: within the
// contract's 5 s its tokens must stop working.
func TestRevokedAppRefused(t *testing.T) {
	s := testserver.Start(t)
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct-rev", Bots: []string{"st-rev"}})
	tok := app.Token(t)
	h := testserver.Headers(tok, "acct-rev")
	if resp, body := s.Do(t, http.MethodPost, readPath("st-rev"), h, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("before revoke: %d %s", resp.StatusCode, body)
	}
	s.CLI(t, "apps", "revoke", app.ClientID)
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, body := s.Do(t, http.MethodPost, readPath("st-rev"), h, "")
		if resp.StatusCode == http.StatusUnauthorized {
			wantError(t, resp, body, http.StatusUnauthorized, "revoked")
			break
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("while waiting for the revocation: %d %s", resp.StatusCode, body)
		}
		if time.Now().After(deadline) {
			t.Fatal("the revoked app was still accepted 5 s after apps revoke")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Run("a fresh token of the revoked app is refused too", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodPost, readPath("st-rev"), testserver.Headers(app.Token(t), "acct-rev"), "")
		wantError(t, resp, body, http.StatusUnauthorized)
	})
}

// TestNewAppAccepted creates an app while the server runs: it must work within 5 s. (The CLI
// picks client ids at random, so the server cannot have been asked about this one before; the
// cache's memory of unknown ids is covered by the auth package's tests.)
func TestNewAppAccepted(t *testing.T) {
	s := testserver.Start(t)
	// An unknown client id is refused, and remembered as unknown, without harm to others.
	bogus := signToken(t, jwt.SigningMethodHS256, []byte("x"), jwt.MapClaims{"appId": "cs-later"})
	resp, body := s.Do(t, http.MethodPost, readPath("st-new"), testserver.Headers(bogus, "acct-new"), "")
	wantError(t, resp, body, http.StatusUnauthorized)
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct-new", Bots: []string{"st-new"}})
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, body := s.Do(t, http.MethodPost, readPath("st-new"), testserver.Headers(app.Token(t), "acct-new"), "")
		if resp.StatusCode == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("new app not accepted within 5 s: %d %s", resp.StatusCode, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCrossAccountIsolation puts the same botId under two accounts: nothing of one is visible
// through the other, and no answer tells whether a bot exists elsewhere.
func TestCrossAccountIsolation(t *testing.T) {
	s := testserver.Start(t)
	const bot = "st-shared"
	appA := s.CreateApp(t, testserver.AppSpec{Account: "acct-A", Bots: []string{bot}})
	appB := s.CreateApp(t, testserver.AppSpec{Account: "acct-B", Bots: []string{bot, "st-only-B"}})
	allA := s.CreateApp(t, testserver.AppSpec{Account: "acct-A"})
	s.Ingest(t, appA.Token(t), "acct-A", bot, "["+completed("sess-A", "2024-01-06T14:00:00Z", "2024-01-06T14:01:00Z", "completed", "")+"]")
	s.Ingest(t, appB.Token(t), "acct-B", bot, "["+completed("sess-B", "2024-01-06T14:00:00Z", "2024-01-06T14:02:00Z", "Dropoff", "")+"]")
	s.Ingest(t, appB.Token(t), "acct-B", "st-only-B", "["+completed("sess-B2", "2024-01-06T14:00:00Z", "2024-01-06T14:02:00Z", "Dropoff", "")+"]")
	// The same sessionId in both accounts is two sessions, and neither is a duplicate of the other.
	if acc, dup := s.Ingest(t, appB.Token(t), "acct-B", bot, "["+completed("sess-A", "2024-01-06T14:00:00Z", "2024-01-06T14:01:00Z", "completed", "")+"]"); acc != 1 || dup != 0 {
		t.Fatalf("same event in account B: accepted %d duplicates %d, want 1 0", acc, dup)
	}

	read := func(t *testing.T, app testserver.CreatedApp, account, bot string) (*http.Response, []byte) {
		t.Helper()
		return s.Do(t, http.MethodPost, readPath(bot), testserver.Headers(app.Token(t), account), "")
	}
	ids := func(t *testing.T, app testserver.CreatedApp, account string) []string {
		t.Helper()
		resp, body := read(t, app, account, bot)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		return sessionIDs(decodeSessions(t, body))
	}
	t.Run("account A sees only its session", func(t *testing.T) {
		if got := ids(t, appA, "acct-A"); len(got) != 1 || got[0] != "sess-A" {
			t.Fatalf("got %v, want [sess-A]", got)
		}
	})
	t.Run("account B sees only its sessions", func(t *testing.T) {
		if got := ids(t, appB, "acct-B"); len(got) != 2 || got[0] != "sess-B" || got[1] != "sess-A" {
			t.Fatalf("got %v, want [sess-B sess-A]", got)
		}
	})
	t.Run("app of A with accountId B is 403", func(t *testing.T) {
		resp, body := read(t, appA, "acct-B", bot)
		wantError(t, resp, body, http.StatusForbidden)
	})
	t.Run("app of A cannot ingest into B", func(t *testing.T) {
		h := testserver.Headers(appA.Token(t), "acct-B")
		h["Content-Type"] = "application/json"
		resp, body := s.Do(t, http.MethodPost, ingestPath(bot), h, "["+completed("x", "2024-01-06T14:00:00Z", "2024-01-06T14:01:00Z", "completed", "")+"]")
		wantError(t, resp, body, http.StatusForbidden)
	})
	t.Run("all-bots app of A sees nothing of a bot that exists only in B", func(t *testing.T) {
		resp, body := read(t, allA, "acct-A", "st-only-B")
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "[]" {
			t.Fatalf("%d %s, want 200 []", resp.StatusCode, body)
		}
	})
	// The same question about a bot that exists elsewhere and one that exists nowhere must get
	// the same answer (bot ids aside), or the answer leaks another account's bots.
	leaks := []struct {
		name    string
		app     testserver.CreatedApp
		account string
	}{
		{"bot not in the app's list", appA, "acct-A"},
		{"wrong account", appA, "acct-B"},
	}
	for _, l := range leaks {
		t.Run("no existence leak: "+l.name, func(t *testing.T) {
			r1, b1 := read(t, l.app, l.account, "st-only-B")
			r2, b2 := read(t, l.app, l.account, "st-nowhere")
			m1 := wantError(t, r1, b1, http.StatusForbidden)
			m2 := wantError(t, r2, b2, http.StatusForbidden)
			if strings.ReplaceAll(m1, "st-only-B", "BOT") != strings.ReplaceAll(m2, "st-nowhere", "BOT") {
				t.Fatalf("answers differ:\n%s\n%s", m1, m2)
			}
		})
	}
}

// TestJTIReplayAfterRestart: used token ids are stored, so a restart does not reopen a replay.
func TestJTIReplayAfterRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jti.db")
	s := testserver.StartDB(t, db)
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct-jti", Bots: []string{"st-jti"}, EnforceJTI: true})
	tok := app.Token(t) // carries a jti and a one-hour exp
	h := testserver.Headers(tok, "acct-jti")
	if resp, body := s.Do(t, http.MethodPost, readPath("st-jti"), h, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("first use: %d %s", resp.StatusCode, body)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	s2 := testserver.StartDB(t, db)
	resp, body := s2.Do(t, http.MethodPost, readPath("st-jti"), h, "")
	wantError(t, resp, body, http.StatusUnauthorized, "jti")
	if resp, body := s2.Do(t, http.MethodPost, readPath("st-jti"), testserver.Headers(app.Token(t), "acct-jti"), ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("a fresh jti after the restart: %d %s", resp.StatusCode, body)
	}
}
