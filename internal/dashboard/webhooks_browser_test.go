package dashboard_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/intentrt/intentrt/internal/dashboard"
	"github.com/intentrt/intentrt/internal/testserver"
)

// hookHealth is one webhook of the health route's answer, as the test reads it.
type hookHealth struct {
	ID              string   `json:"id"`
	Receiver        string   `json:"receiver"`
	State           string   `json:"state"`
	Pending         int64    `json:"pending"`
	OldestPendingS  *float64 `json:"oldestPendingSeconds"`
	LastDeliveredAt *string  `json:"lastDeliveredAt"`
	FailedAttempts  int      `json:"failedAttempts"`
	FailingSince    *string  `json:"failingSince"`
	LastError       string   `json:"lastError"`
	DeadLettered    int64    `json:"deadLettered"`
}

// webhooksServer is a server allowed to deliver to loopback, an account whose bot has a
// healthy receiver and a failing one, and webhooks the bot's page must not show (another bot,
// another account). It returns the server, the app, the receivers' hosts and how many
// deliveries the healthy one took.
func webhooksServer(t *testing.T, account, bot string) (*testserver.Server, testserver.CreatedApp, [2]string, *atomic.Int64) {
	t.Helper()
	s := testserver.Start(t, "--webhooks-allow-private", "--webhooks-retry", "200ms")
	app := s.CreateApp(t, testserver.AppSpec{Account: account, Bots: []string{bot, "st-hooks-other"}})
	var got atomic.Int64
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(healthy.Close)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Error(w, "crm is down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(failing.Close)
	create := func(acct, b, url string) {
		s.CLI(t, "webhooks", "create", "--account", acct, "--bot", b, "--events", "session", "--url", url)
	}
	create(account, bot, healthy.URL+"/hook?token=not-for-the-page")
	create(account, bot, failing.URL+"/hook")
	create(account, "st-hooks-other", healthy.URL+"/other")
	create("acct-someone-else", bot, healthy.URL+"/theirs")
	return s, app, [2]string{strings.TrimPrefix(healthy.URL, "http://"), strings.TrimPrefix(failing.URL, "http://")}, &got
}

// readHealth asks the page's webhook route with a session cookie.
func readHealth(t *testing.T, s *testserver.Server, cookie, bot string) []hookHealth {
	t.Helper()
	resp, body := send(t, s, http.MethodGet, "/ui/api/bots/"+bot+"/webhooks", cookie, "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhooks route: %d %s", resp.StatusCode, body)
	}
	var ans struct {
		AsOf     string       `json:"asOf"`
		Webhooks []hookHealth `json:"webhooks"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil || ans.AsOf == "" {
		t.Fatalf("webhooks route answer %s: %v", body, err)
	}
	return ans.Webhooks
}

// TestWebhookHealth: the page's webhook health line shows, for the signed-in account's bot,
// a healthy receiver as delivering and a failing one as failing with its error, nothing of
// other bots or accounts, and no more of a receiver's URL than its host. The route answers
// only behind the cookie, for a bot the app may read.
func TestWebhookHealth(t *testing.T) {
	const account, bot = "acct-hooks", "st-hooks"
	s, app, hosts, got := webhooksServer(t, account, bot)
	resp, body := send(t, s, http.MethodPost, "/ui/api/session", "", signInBody(account, app.ClientID, app.ClientSecret),
		map[string]string{dashboard.CSRFHeader: "1"})
	c := sessionCookie(resp)
	if resp.StatusCode != 200 || c == nil {
		t.Fatalf("sign in: %d %s", resp.StatusCode, body)
	}
	if resp, body := send(t, s, http.MethodGet, "/ui/api/bots/"+bot+"/webhooks", "", "", nil); resp.StatusCode != 401 {
		t.Fatalf("without the cookie: %d %s", resp.StatusCode, body)
	}
	if resp, body := send(t, s, http.MethodGet, "/ui/api/bots/st-not-mine/webhooks", c.Value, "", nil); resp.StatusCode != 403 {
		t.Fatalf("a bot the app may not read: %d %s", resp.StatusCode, body)
	}

	s.Ingest(t, app.Token(t), account, bot, sessionsFor("wh", 3, time.Now().UTC()))
	// The server picks the webhooks up within 5 s and the failing one is retried every 200 ms
	// or more; wait until the route shows both as they settle.
	var hooks []hookHealth
	deadline := time.Now().Add(20 * time.Second)
	for {
		hooks = readHealth(t, s, c.Value, bot)
		if len(hooks) == 2 && hooks[0].Receiver == hosts[1] {
			hooks[0], hooks[1] = hooks[1], hooks[0]
		}
		if len(hooks) == 2 && hooks[0].LastDeliveredAt != nil && hooks[0].Pending == 0 && hooks[1].FailedAttempts >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook health did not settle: %+v (healthy receiver got %d)", hooks, got.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	ok, bad := hooks[0], hooks[1]
	if ok.Receiver != hosts[0] || ok.State != "ok" || ok.FailedAttempts != 0 || ok.OldestPendingS == nil || *ok.OldestPendingS != 0 {
		t.Errorf("healthy webhook: %+v", ok)
	}
	if bad.Receiver != hosts[1] || bad.State != "failing" || bad.Pending != 3 || bad.FailingSince == nil ||
		!strings.Contains(bad.LastError, "503") || bad.DeadLettered != 0 || bad.LastDeliveredAt != nil {
		t.Errorf("failing webhook: %+v", bad)
	}

	ctx := browser(t)
	do(t, ctx, "sign in and pick the bot",
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(css("#signin-form")),
		chromedp.SendKeys(css("#in-account"), account),
		chromedp.SendKeys(css("#in-client"), app.ClientID),
		chromedp.SendKeys(css("#in-secret"), app.ClientSecret),
		chromedp.Click(css("#signin-submit")),
		chromedp.WaitVisible(css("#view-form")),
		chromedp.SetValue(css("#bot"), bot),
		chromedp.Click(css("#view-form button[type=submit]")),
		chromedp.WaitVisible(css("#hooks")),
		waitFor(`document.querySelectorAll('#hooks-list li').length === 2`, 5*time.Second),
	)
	type line struct{ ID, Class, Text string }
	const readLines = `[...document.querySelectorAll('#hooks-list li')].map((li) => ({ID: li.dataset.id, Class: li.className, Text: li.textContent}))`
	lines := eval[[]line](t, ctx, readLines)
	if lines[0].ID == bad.ID {
		lines[0], lines[1] = lines[1], lines[0]
	}
	if lines[0].ID != ok.ID || lines[0].Class != "hook ok" || !strings.Contains(lines[0].Text, "Delivering"+hosts[0]) ||
		!strings.Contains(lines[0].Text, "0 pending") || !strings.Contains(lines[0].Text, "last delivered") {
		t.Errorf("healthy line: %+v", lines[0])
	}
	if lines[1].ID != bad.ID || lines[1].Class != "hook failing" || !strings.Contains(lines[1].Text, "Failing"+hosts[1]) ||
		!strings.Contains(lines[1].Text, "3 pending") || !strings.Contains(lines[1].Text, "failing since") ||
		!strings.Contains(lines[1].Text, "0 dead-lettered") || !strings.Contains(lines[1].Text, "Last error:") {
		t.Errorf("failing line: %+v", lines[1])
	}
	if page := eval[string](t, ctx, `document.getElementById('hooks').textContent`); strings.Contains(page, "not-for-the-page") {
		t.Errorf("the page shows a receiver's path: %s", page)
	}
	save(t, ctx, "dashboard-webhooks.png")

	// Another bot of the app: only its own webhook.
	do(t, ctx, "another bot",
		chromedp.SetValue(css("#bot"), "st-hooks-other"),
		chromedp.Click(css("#view-form button[type=submit]")),
		waitFor(`document.querySelectorAll('#hooks-list li').length === 1`, 5*time.Second),
	)
	if lines := eval[[]line](t, ctx, readLines); lines[0].ID == ok.ID || lines[0].ID == bad.ID || !strings.Contains(lines[0].Text, hosts[0]) {
		t.Errorf("the other bot's line: %+v", lines)
	}
}
