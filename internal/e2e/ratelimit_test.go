package e2e

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/intentrt/intentrt/internal/testserver"
)

// TestRateLimit checks the per-account read budget. The bucket refills one request every
// 20 s at 3 a minute, far longer than a burst of requests takes.
func TestRateLimit(t *testing.T) {
	s := testserver.Start(t, "--rate-limit", "3", "--rate-limit-account", "acct-one=1", "--rate-limit-account", "acct-free=0")
	apps := map[string]testserver.CreatedApp{}
	for _, acct := range []string{"acct-a", "acct-b", "acct-one", "acct-free"} {
		apps[acct] = s.CreateApp(t, testserver.AppSpec{Account: acct})
	}
	read := func(t *testing.T, acct, bot string) (*http.Response, []byte) {
		t.Helper()
		return s.Do(t, http.MethodPost, readPath(bot), testserver.Headers(apps[acct].Token(t), acct), "")
	}
	wantLimited := func(t *testing.T, resp *http.Response, body []byte) {
		t.Helper()
		wantError(t, resp, body, http.StatusTooManyRequests, "rate limit")
		ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || ra < 1 || ra > 60 {
			t.Fatalf("Retry-After %q, want whole seconds in 1..60", resp.Header.Get("Retry-After"))
		}
	}

	t.Run("4th read of a burst is 429", func(t *testing.T) {
		for i := range 3 {
			// Different bots of one account share its budget.
			if resp, body := read(t, "acct-a", "st-"+strconv.Itoa(i)); resp.StatusCode != http.StatusOK {
				t.Fatalf("read %d: %d %s", i+1, resp.StatusCode, body)
			}
		}
		resp, body := read(t, "acct-a", "st-0")
		wantLimited(t, resp, body)
	})
	t.Run("another account is unaffected", func(t *testing.T) {
		for i := range 3 {
			if resp, body := read(t, "acct-b", "st-0"); resp.StatusCode != http.StatusOK {
				t.Fatalf("read %d: %d %s", i+1, resp.StatusCode, body)
			}
		}
	})
	t.Run("ingest is not limited", func(t *testing.T) {
		// acct-a has spent its read budget; its producers still write.
		s.Ingest(t, apps["acct-a"].Token(t), "acct-a", "st-0", "["+completed("s-1", "2024-01-06T14:00:00Z", "2024-01-06T14:01:00Z", "completed", "")+"]")
	})
	t.Run("the spent account stays limited", func(t *testing.T) {
		resp, body := read(t, "acct-a", "st-0")
		wantLimited(t, resp, body)
	})
	t.Run("per-account override of 1", func(t *testing.T) {
		if resp, body := read(t, "acct-one", "st-0"); resp.StatusCode != http.StatusOK {
			t.Fatalf("first read: %d %s", resp.StatusCode, body)
		}
		resp, body := read(t, "acct-one", "st-0")
		wantLimited(t, resp, body)
	})
	t.Run("per-account override of 0 is unlimited", func(t *testing.T) {
		for i := range 20 {
			if resp, body := read(t, "acct-free", "st-0"); resp.StatusCode != http.StatusOK {
				t.Fatalf("read %d: %d %s", i+1, resp.StatusCode, body)
			}
		}
	})
}

func TestRateLimitOff(t *testing.T) {
	s := testserver.Start(t, "--rate-limit", "0")
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct-a"})
	tok := app.Token(t)
	for i := range 100 {
		if resp, body := s.Do(t, http.MethodPost, readPath("st-0"), testserver.Headers(tok, "acct-a"), ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("read %d: %d %s", i+1, resp.StatusCode, body)
		}
	}
}
