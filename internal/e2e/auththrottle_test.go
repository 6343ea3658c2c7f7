package e2e

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/testserver"
)

var csrfJSON = map[string]string{"Content-Type": "application/json", "X-Intentrt-Csrf": "1"}

// TestAuthFailureThrottle: an address that fails to authenticate --auth-fail-limit times is
// answered 429 with Retry-After and the JSON error body, before its credentials are checked
// (a good token too), for API tokens, dashboard sign-ins and dashboard cookies alike.
func TestAuthFailureThrottle(t *testing.T) {
	s := testserver.Start(t, "--auth-fail-limit", "5")
	const account, bot = "acct-thr", "st-thr"
	app := s.CreateApp(t, testserver.AppSpec{Account: account})
	bad, err := auth.Mint(app.ClientID, "not-the-secret", auth.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if resp, body := s.Do(t, http.MethodPost, readPath(bot), testserver.Headers(bad, account), ""); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("bad token %d: %d %s", i, resp.StatusCode, body)
		}
	}
	checkThrottled := func(name string, resp *http.Response, body []byte) {
		t.Helper()
		checkJSONError(t, name, resp, body, http.StatusTooManyRequests)
		if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || n < 1 {
			t.Errorf("%s: Retry-After %q", name, resp.Header.Get("Retry-After"))
		}
	}
	resp, body := s.Do(t, http.MethodPost, readPath(bot), testserver.Headers(bad, account), "")
	checkThrottled("sixth bad token", resp, body)
	resp, body = s.Do(t, http.MethodPost, readPath(bot), testserver.Headers(app.Token(t), account), "")
	checkThrottled("good token from the throttled address", resp, body)
	signIn := `{"accountId":"` + account + `","clientId":"` + app.ClientID + `","clientSecret":"` + app.ClientSecret + `"}`
	resp, body = s.Do(t, http.MethodPost, "/ui/api/session", csrfJSON, signIn)
	checkThrottled("sign-in from the throttled address", resp, body)
	resp, body = s.Do(t, http.MethodGet, "/ui/api/session", map[string]string{"Cookie": "intentrt_session=v1.x.1.y"}, "")
	checkThrottled("cookie from the throttled address", resp, body)

	_, m := s.Do(t, http.MethodGet, "/metrics", nil, "")
	if got := regexp.MustCompile(`(?m)^intentrt_auth_throttled_total (\d+)`).FindSubmatch(m); got == nil || string(got[1]) != "4" {
		t.Errorf("intentrt_auth_throttled_total: %q, want 4", got)
	}
}

// TestSignInFailuresThrottled: wrong dashboard credentials count as failures as bad tokens do.
func TestSignInFailuresThrottled(t *testing.T) {
	s := testserver.Start(t, "--auth-fail-limit", "3")
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct-si"})
	wrong := `{"accountId":"acct-si","clientId":"` + app.ClientID + `","clientSecret":"wrong"}`
	for i := range 3 {
		if resp, body := s.Do(t, http.MethodPost, "/ui/api/session", csrfJSON, wrong); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong secret %d: %d %s", i, resp.StatusCode, body)
		}
	}
	resp, body := s.Do(t, http.MethodPost, "/ui/api/session", csrfJSON, wrong)
	checkJSONError(t, "fourth wrong sign-in", resp, body, http.StatusTooManyRequests)
}

// TestSignInReadsStorage: a sign-in asks storage, not the app cache, so that its cost does not
// tell whether a client id exists (a busy app answered from memory, an unknown id from
// storage); it is seen in that an app revoked a moment ago can no longer sign in, although
// the cache still holds it as valid.
func TestSignInReadsStorage(t *testing.T) {
	s := testserver.Start(t)
	const account = "acct-fresh"
	app := s.CreateApp(t, testserver.AppSpec{Account: account})
	if resp, _ := s.Do(t, http.MethodPost, readPath("st-fresh"), testserver.Headers(app.Token(t), account), ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("read: %d", resp.StatusCode) // the app is now in the cache
	}
	s.CLI(t, "apps", "revoke", app.ClientID)
	signIn := `{"accountId":"` + account + `","clientId":"` + app.ClientID + `","clientSecret":"` + app.ClientSecret + `"}`
	if resp, body := s.Do(t, http.MethodPost, "/ui/api/session", csrfJSON, signIn); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("sign-in right after the revocation: %d %s, want 401", resp.StatusCode, body)
	}
}
