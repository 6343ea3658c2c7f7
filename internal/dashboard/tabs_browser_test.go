package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/intentrt/intentrt/internal/testserver"
)

// TestEightTabsStayLive: eight tabs of one browser on the same bot all stay live — more than the
// six HTTP/1.1 connections a browser keeps per host — because they share one stream; a session
// ingested then appears in every tab, and the server holds one stream for all of them.
func TestEightTabsStayLive(t *testing.T) {
	first := browser(t)
	s := testserver.Start(t)
	const account, bot = "acct-tabs", "st-tabs-bot"
	app := s.CreateApp(t, testserver.AppSpec{Account: account, Bots: []string{bot}})
	s.Ingest(t, app.Token(t), account, bot, sessionsFor("tabs", 12, time.Now().UTC().Add(-10*time.Second)))
	do(t, first, "sign in",
		chromedp.Navigate(s.URL+"/?bot="+bot),
		chromedp.WaitVisible(css("#signin-form")),
		chromedp.SendKeys(css("#in-account"), account),
		chromedp.SendKeys(css("#in-client"), app.ClientID),
		chromedp.SendKeys(css("#in-secret"), app.ClientSecret),
		chromedp.Click(css("#signin-submit")),
		waitText("#conn-text", "Live"),
	)
	tabs := []context.Context{first}
	for i := 2; i <= 8; i++ {
		tab := newTab(t, first)
		do(t, tab, fmt.Sprintf("tab %d", i), chromedp.Navigate(s.URL+"/?bot="+bot), waitText("#conn-text", "Live"),
			chromedp.WaitVisible(css(`tr[data-session-id="tabs-00"]`)))
		tabs = append(tabs, tab)
	}
	if n := streams(t, s); n != "1" {
		t.Errorf("eight tabs hold %v streams on the server, want 1 shared", n)
	}

	end := time.Now().UTC()
	s.Ingest(t, app.Token(t), account, bot, fmt.Sprintf(`[{"type":"session.completed","sessionId":"tabs-live","channel":"rtm","ANI":"+15550999","DNI":"+18005550100",
		"userId":"u-live","startTime":%q,"endTime":%q,"intents":["Pay Bill"],"status":"completed","deflectedTo":null}]`,
		end.Add(-time.Minute).Format(time.RFC3339Nano), end.Format(time.RFC3339Nano)))
	for i, tab := range tabs {
		do(t, tab, fmt.Sprintf("live row in tab %d", i+1), waitFor(`document.querySelector('tr[data-session-id="tabs-live"]') !== null`, 10*time.Second))
	}
}

// newTab opens another tab of the browser. The tab lives as long as the context it is first
// run with, so that is ctx's, not a step's shorter one.
func newTab(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return tab
}

var subscribers = regexp.MustCompile(`(?m)^intentrt_stream_subscribers (\d+)`)

// streams reads how many live subscriptions the server holds.
func streams(t *testing.T, s *testserver.Server) string {
	t.Helper()
	resp, body := s.Do(t, http.MethodGet, "/metrics", nil, "")
	m := subscribers.FindSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("metrics: %d", resp.StatusCode)
	}
	return string(m[1])
}
