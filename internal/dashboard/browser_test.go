package dashboard_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/intentrt/intentrt/internal/testserver"
)

// screenshotDir is where the browser tests leave their screenshots (named in the README):
// outside the tracked tree, so a test run changes no file of the repository. The README's
// pictures in docs/screenshots are copies of them, refreshed by hand.
const screenshotDir = "testdata/screenshots"

// browser starts a headless Chromium from INTENTRT_TEST_CHROMIUM with a fresh profile, and the
// given options beside the usual ones.
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := os.Getenv("INTENTRT_TEST_CHROMIUM")
	if path == "" {
		t.Skip("INTENTRT_TEST_CHROMIUM is not set (e.g. /usr/bin/chromium): skipping the browser tests")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("INTENTRT_TEST_CHROMIUM=%s: %v", path, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 120*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Logf("chromium started in %v", time.Since(start).Round(time.Millisecond))
	return ctx
}

// sessionsFor makes n completed sessions of varied channels, statuses, intents and deflections,
// ending over the last minutes, so that the charts have something to draw.
func sessionsFor(prefix string, n int, now time.Time) string {
	channels := []string{"korevg", "audiocodes", "twiliovoice", "rtm"}
	statuses := []string{"completed", "completed", "Dropoff", "agentTransfer", "completed", "error"}
	intents := []string{"Check Balance", "Book a Flight", "Report Fraud", "Pay Bill", "Change Address"}
	var evs []string
	for i := range n {
		end := now.Add(-time.Duration(i*23) * time.Second)
		start := end.Add(-time.Duration(30+i*7) * time.Second)
		defl := "null"
		if i%5 == 3 {
			defl = `"rtm"`
		}
		evs = append(evs, fmt.Sprintf(`{"type":"session.completed","sessionId":"%s-%02d","channel":%q,"ANI":"+1555010%04d","DNI":"+18005550100",
			"userId":"u-%d","startTime":%q,"endTime":%q,"intents":[%q,%q],"status":%q,"deflectedTo":%s}`,
			prefix, i, channels[i%len(channels)], i, i, start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano),
			intents[i%len(intents)], intents[(i*3+1)%len(intents)], statuses[i%len(statuses)], defl))
	}
	return "[" + strings.Join(evs, ",") + "]"
}

// TestDashboardInBrowser drives the page in Chromium: a wrong secret, sign-in, choosing the bot,
// a session ingested through the API appearing live, a filter, phone width, sign-out.
func TestDashboardInBrowser(t *testing.T) {
	ctx := browser(t)
	s := testserver.Start(t)
	const account, bot = "acct-browser", "st-browser-bot"
	app := s.CreateApp(t, testserver.AppSpec{Account: account, Bots: []string{bot, "st-other-bot"}})
	s.Ingest(t, app.Token(t), account, bot, sessionsFor("hist", 36, time.Now().UTC().Add(-20*time.Second)))

	do(t, ctx, "wrong secret",
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(css("#signin-form")),
		chromedp.SendKeys(css("#in-account"), account),
		chromedp.SendKeys(css("#in-client"), app.ClientID),
		chromedp.SendKeys(css("#in-secret"), "not-the-secret"),
		chromedp.Click(css("#signin-submit")),
		waitText("#signin-error", "wrong"),
	)
	save(t, ctx, "dashboard-signin-error.png")

	do(t, ctx, "sign in and pick the bot",
		chromedp.SendKeys(css("#in-secret"), app.ClientSecret),
		chromedp.Click(css("#signin-submit")),
		chromedp.WaitVisible(css("#view-form")),
		chromedp.SetValue(css("#bot"), bot),
		chromedp.Click(css("#view-form button[type=submit]")),
		waitText("#conn-text", "Live"),
		chromedp.WaitVisible(css(`tr[data-session-id="hist-00"]`)),
	)

	// A session ingested through the API appears within 2 s, marked as new.
	end := time.Now().UTC()
	s.Ingest(t, app.Token(t), account, bot, fmt.Sprintf(`[{"type":"session.completed","sessionId":"live-1","channel":"rtm","ANI":"+15550999","DNI":"+18005550100",
		"userId":"u-live","startTime":%q,"endTime":%q,"intents":["Report Fraud"],"status":"agentTransfer","deflectedTo":null}]`,
		end.Add(-90*time.Second).Format(time.RFC3339Nano), end.Format(time.RFC3339Nano)))
	ingested := time.Now()
	do(t, ctx, "live row", waitFor(`document.querySelector('tr[data-session-id="live-1"].is-new') !== null`, 2*time.Second))
	t.Logf("live row visible %v after the ingest was acknowledged", time.Since(ingested).Round(time.Millisecond))
	// The figures follow on the stream's summary.changed: 36 sessions became 37, no reload.
	do(t, ctx, "figures refreshed", waitFor(`document.querySelector('#tiles .tile[data-key="sessions"] .t-val').dataset.value === '37'`, 10*time.Second))

	// Filter by channel: only korevg rows remain, the rtm live row is hidden.
	const pick = `(v) => { const s = document.getElementById('f-channel'); s.value = v; s.dispatchEvent(new Event('change')); }`
	do(t, ctx, "filter",
		chromedp.Evaluate[chromedp.Void](`(`+pick+`)('korevg')`),
		waitFor(`document.querySelector('tr[data-session-id="live-1"]') === null`, 2*time.Second),
	)
	channels := eval[[]string](t, ctx, `[...document.querySelectorAll('#rows td[data-label="Channel"]')].map(td => td.textContent)`)
	if len(channels) == 0 {
		t.Fatal("the channel filter left no rows")
	}
	for _, c := range channels {
		if c != "korevg" {
			t.Fatalf("filtered rows show channel %q", c)
		}
	}
	do(t, ctx, "clear filter",
		chromedp.Evaluate[chromedp.Void](`(`+pick+`)('')`),
		waitFor(`document.querySelector('tr[data-session-id="live-1"]') !== null`, 2*time.Second),
	)

	// Phone width: the same page, cards instead of a wide table, no sideways scrolling.
	do(t, ctx, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)), chromedp.Sleep(300*time.Millisecond))
	if eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Error("the page scrolls sideways at phone width")
	}
	do(t, ctx, "desktop again", chromedp.EmulateViewport(1280, 1000))

	// Nothing secret is readable by scripts; sign-out ends the session.
	stored := eval[string](t, ctx, `JSON.stringify(localStorage) + document.cookie`)
	if strings.Contains(stored, app.ClientSecret) || strings.Contains(stored, "intentrt_session") {
		t.Fatalf("secret or session cookie readable by scripts: %s", stored)
	}
	do(t, ctx, "sign out", chromedp.Click(css("#signout")), chromedp.WaitVisible(css("#signin-form")))
	if got := eval[int](t, ctx, `fetch('/ui/api/session').then(r => r.status)`); got != 401 {
		t.Fatalf("after sign-out the session answers %d", got)
	}
	if strings.Contains(s.Stderr.String(), app.ClientSecret) {
		t.Fatal("the client secret appears in the server's logs")
	}

	// Signed in again, the page reopens the remembered bot; when the server goes away it says
	// so and keeps trying by itself.
	do(t, ctx, "sign in again",
		chromedp.SendKeys(css("#in-account"), account),
		chromedp.SendKeys(css("#in-client"), app.ClientID),
		chromedp.SendKeys(css("#in-secret"), app.ClientSecret),
		chromedp.Click(css("#signin-submit")),
		waitText("#conn-text", "Live"),
		chromedp.WaitVisible(css(`tr[data-session-id="live-1"]`)),
	)
	if err := s.Stop(); err != nil {
		t.Fatalf("stop server: %v", err)
	}
	do(t, ctx, "reconnecting", waitText("#conn-text", "Reconnecting"),
		waitFor(`!document.getElementById('stale').hidden && document.getElementById('stale').textContent.includes('reconnecting')`, 10*time.Second))
	save(t, ctx, "dashboard-reconnecting.png")
}
