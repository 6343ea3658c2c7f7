package dashboard_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/intentrt/intentrt/internal/testserver"
)

// tlsBrowser is browser for a server with a self-signed certificate: the same headless
// Chromium, told to accept any certificate (the test's own is trusted by nobody else).
func tlsBrowser(t *testing.T) context.Context {
	t.Helper()
	return browser(t, chromedp.Flag("ignore-certificate-errors", true))
}

// TestEightTabsOverHTTPS opens the dashboard in eight tabs of one Chromium over HTTPS. Over
// HTTP/1.1 a browser holds at most six connections to a host, so the streams of eight tabs
// would starve one another; over HTTP/2 they share one connection. A session ingested once all
// eight are live must appear in every one of them.
func TestEightTabsOverHTTPS(t *testing.T) {
	first := tlsBrowser(t)
	s, _ := testserver.StartTLS(t)
	const account, bot = "acct-tabs", "st-tabs-bot"
	app := s.CreateApp(t, testserver.AppSpec{Account: account, Bots: []string{bot}})
	s.Ingest(t, app.Token(t), account, bot, sessionsFor("hist", 5, time.Now().UTC().Add(-20*time.Second)))

	// The first tab signs in and chooses the bot; the cookie and the remembered bot then open
	// the others straight onto the live table.
	do(t, first, "sign in, first tab",
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(css("#signin-form")),
		chromedp.SendKeys(css("#in-account"), account),
		chromedp.SendKeys(css("#in-client"), app.ClientID),
		chromedp.SendKeys(css("#in-secret"), app.ClientSecret),
		chromedp.Click(css("#signin-submit")),
		chromedp.WaitVisible(css("#view-form")),
		chromedp.SetValue(css("#bot"), bot),
		chromedp.Click(css("#view-form button[type=submit]")),
		waitText("#conn-text", "Live"),
		chromedp.WaitVisible(css(`tr[data-session-id="hist-00"]`)),
	)
	tabs := []context.Context{first}
	for i := 2; i <= 8; i++ {
		tab, cancel := chromedp.NewContext(first) // a new tab of the same browser
		t.Cleanup(cancel)
		// Opened here, without a deadline: a tab opened by do's step would close with the step.
		if err := chromedp.Do(tab); err != nil {
			t.Fatalf("open tab %d: %v", i, err)
		}
		do(t, tab, fmt.Sprintf("open tab %d", i),
			chromedp.Navigate(s.URL+"/"),
			waitText("#conn-text", "Live"),
			chromedp.WaitVisible(css(`tr[data-session-id="hist-00"]`)),
		)
		tabs = append(tabs, tab)
	}
	for i, tab := range tabs {
		do(t, tab, fmt.Sprintf("tab %d over h2", i+1),
			waitFor(`performance.getEntriesByType('navigation')[0].nextHopProtocol === 'h2'`, 5*time.Second))
	}

	end := time.Now().UTC()
	s.Ingest(t, app.Token(t), account, bot, fmt.Sprintf(`[{"type":"session.completed","sessionId":"tabs-live","channel":"rtm","ANI":"+15550999","DNI":"+18005550100",
		"userId":"u-live","startTime":%q,"endTime":%q,"intents":["Report Fraud"],"status":"completed","deflectedTo":null}]`,
		end.Add(-time.Minute).Format(time.RFC3339Nano), end.Format(time.RFC3339Nano)))
	for i, tab := range tabs {
		do(t, tab, fmt.Sprintf("live row in tab %d", i+1),
			waitFor(`document.querySelector('tr[data-session-id="tabs-live"]') !== null`, 10*time.Second))
	}
	save(t, first, "dashboard-https-tab1.png")
}
