package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/intentrt/intentrt/internal/demo"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/testserver"
)

// ingestDemo ingests the demo's backfill of the given span before now through the API, in
// batches: the data the figures are compared on looks like the demo's.
func ingestDemo(t *testing.T, s *testserver.Server, app testserver.CreatedApp, account, bot string, span time.Duration, now time.Time) {
	t.Helper()
	events := demo.New(account, bot, 42).Backfill(now.Add(-span), now)
	for len(events) > 0 {
		n := min(len(events), 2000)
		b, err := json.Marshal(wireEvents(events[:n]))
		if err != nil {
			t.Fatal(err)
		}
		s.Ingest(t, app.Token(t), account, bot, string(b))
		events = events[n:]
	}
}

// wireEvents writes session.completed events as a producer sends them.
func wireEvents(events []session.Event) []map[string]any {
	out := make([]map[string]any, len(events))
	for i, e := range events {
		out[i] = map[string]any{"type": "session.completed", "sessionId": e.SessionID, "eventId": e.EventID,
			"channel": e.Channel, "ANI": e.ANI, "DNI": e.DNI, "userId": e.UserID,
			"startTime": e.StartTime.Format(time.RFC3339Nano), "endTime": e.EndTime.Format(time.RFC3339Nano),
			"intents": e.Intents, "status": string(e.Status), "deflectedTo": e.DeflectedTo}
	}
	return out
}

// inZone makes the tab's browser zone the given IANA zone, whatever the machine's.
func inZone(zone string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone})
		return err
	})
}

// pageFigures is what the page shows, read from its DOM.
type pageFigures struct {
	Request, From, To string
	Tiles             map[string]struct{ Value, Text string }
	Series            [][2]any
	Intents, Channels [][2]any
	Status, Deflect   [][2]any
	Rows              []struct{ Channel, Intents string }
}

const readFigures = `JSON.stringify((() => {
  const bars = (id) => [...document.querySelectorAll('#' + id + ' g.bar')].map((g) => [g.dataset.name, +g.dataset.n]);
  const tiles = {};
  for (const t of document.querySelectorAll('#tiles .tile')) {
    const v = t.querySelector('.t-val');
    tiles[t.dataset.key] = { Value: v.dataset.value || '', Text: v.textContent };
  }
  return {
    Request: document.getElementById('figures').dataset.request || '',
    From: document.getElementById('w-span').dataset.from || '', To: document.getElementById('w-span').dataset.to || '',
    Tiles: tiles,
    Series: [...document.querySelectorAll('#c-series g[data-start]')].map((g) => [g.dataset.start, +g.dataset.n]),
    Intents: bars('c-intents'), Channels: bars('c-channels'), Status: bars('c-status'), Deflect: bars('c-deflect'),
    Rows: [...document.querySelectorAll('#rows tr')].map((tr) => ({
      Channel: tr.querySelector('td[data-label="Channel"]').textContent,
      Intents: tr.querySelector('td[data-label="Intents"]').textContent })),
  };
})())`

// apiFigures is the part of the API's summary the page shows.
type apiFigures struct {
	From, To string
	Totals   figures
	Previous figures
	Intents  []struct {
		Intent   string
		Sessions int
	}
	Channels []struct {
		Channel  string
		Sessions int
	}
	DeflectedTo []struct {
		Channel  string
		Sessions int
	}
	Series []struct {
		Start    string
		Sessions int
	}
	InProgress int
}

type figures struct {
	Sessions, Completed, Dropoff, AgentTransfer, Error int
	ContainmentRate, DropoffRate, TransferRate         float64
	DeflectionRate                                     float64
	TimeHandled                                        struct{ Avg, P50 float64 }
}

// readPage waits until the page shows figures for a request that satisfies want, and reads them.
func readPage(t *testing.T, ctx context.Context, want string) pageFigures {
	t.Helper()
	do(t, ctx, "figures for "+want, waitFor(`(() => { const r = document.getElementById('figures').dataset.request; if (!r) return false; const body = JSON.parse(r); return `+want+`; })()`, 15*time.Second))
	var p pageFigures
	if err := json.Unmarshal([]byte(eval[string](t, ctx, readFigures)), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// askAPI sends the page's own request body to the summary API.
func askAPI(t *testing.T, s *testserver.Server, app testserver.CreatedApp, account, bot, body string) apiFigures {
	t.Helper()
	resp, raw := s.Do(t, http.MethodPost, "/api/public/bot/"+bot+"/intentrealtimedata/summary", testserver.Headers(app.Token(t), account), body)
	if resp.StatusCode != 200 {
		t.Fatalf("summary %s: %d %s", body, resp.StatusCode, raw)
	}
	var a apiFigures
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// duration and pct are the page's own formats (format.js), so that the text is checked too.
func duration(sec float64) string {
	s := int(math.Round(sec))
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min %02d s", s/60, s%60)
	}
	return fmt.Sprintf("%d h %02d min", s/3600, s%3600/60)
}

func pct(r float64) string { return fmt.Sprintf("%.1f %%", math.Round(r*1000)/10) }

func grouped(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// same fails unless the page shows exactly the API's figures for the page's own request.
func same(t *testing.T, step string, p pageFigures, a apiFigures) {
	t.Helper()
	fail := func(format string, args ...any) { t.Helper(); t.Fatalf(step+": "+format, args...) }
	if p.From != a.From || p.To != a.To {
		fail("window %s–%s on the page, %s–%s from the API", p.From, p.To, a.From, a.To)
	}
	tot := a.Totals
	for key, w := range map[string]struct {
		v    float64
		text string
	}{
		"sessions": {float64(tot.Sessions), grouped(tot.Sessions)}, "containmentRate": {tot.ContainmentRate, pct(tot.ContainmentRate)},
		"dropoffRate": {tot.DropoffRate, pct(tot.DropoffRate)}, "transferRate": {tot.TransferRate, pct(tot.TransferRate)},
		"deflectionRate": {tot.DeflectionRate, pct(tot.DeflectionRate)}, "avg": {tot.TimeHandled.Avg, duration(tot.TimeHandled.Avg)},
		"p50": {tot.TimeHandled.P50, duration(tot.TimeHandled.P50)}, "inProgress": {float64(a.InProgress), grouped(a.InProgress)},
	} {
		got := p.Tiles[key]
		var v float64
		if _, err := fmt.Sscan(got.Value, &v); err != nil || v != w.v || got.Text != w.text {
			fail("tile %s shows %q (value %q); the API says %v (%q)", key, got.Text, got.Value, w.v, w.text)
		}
	}
	pairs := func(name string, page [][2]any, api [][2]any) {
		t.Helper()
		if fmt.Sprint(page) != fmt.Sprint(api) {
			fail("%s: page %v, API %v", name, page, api)
		}
	}
	var series, intents, channels, defl [][2]any
	for _, x := range a.Series {
		series = append(series, [2]any{x.Start, float64(x.Sessions)})
	}
	for i, x := range a.Intents {
		if i < 10 {
			intents = append(intents, [2]any{x.Intent, float64(x.Sessions)})
		}
	}
	for _, x := range a.Channels {
		channels = append(channels, [2]any{x.Channel, float64(x.Sessions)})
	}
	for _, x := range a.DeflectedTo {
		defl = append(defl, [2]any{x.Channel, float64(x.Sessions)})
	}
	pairs("series", p.Series, series)
	pairs("intents", p.Intents, intents)
	pairs("channels", p.Channels, channels)
	if tot.Sessions > 0 {
		pairs("status", p.Status, [][2]any{{"completed", float64(tot.Completed)}, {"Dropoff", float64(tot.Dropoff)},
			{"agentTransfer", float64(tot.AgentTransfer)}, {"error", float64(tot.Error)}})
	}
	if len(defl) > 0 {
		pairs("deflections", p.Deflect, defl)
	}
}

// TestPageFiguresAreTheAPIs: after demo-like traffic, a freshly opened page shows exactly the
// summary API's figures for the window it names; the window picker, the zone toggle and the
// filters change the page and the API's answer alike, and the table follows the filters.
func TestPageFiguresAreTheAPIs(t *testing.T) {
	ctx := browser(t)
	s := testserver.Start(t)
	const account, bot = "acct-figures", "st-figures-bot"
	app := s.CreateApp(t, testserver.AppSpec{Account: account, Bots: []string{bot}})
	ingestDemo(t, s, app, account, bot, 3*time.Hour, time.Now().UTC())

	do(t, ctx, "sign in in Kolkata", inZone("Asia/Kolkata"),
		chromedp.Navigate(s.URL+"/?bot="+bot+"&window=4h"),
		chromedp.WaitVisible(css("#signin-form")),
		chromedp.SendKeys(css("#in-account"), account),
		chromedp.SendKeys(css("#in-client"), app.ClientID),
		chromedp.SendKeys(css("#in-secret"), app.ClientSecret),
		chromedp.Click(css("#signin-submit")),
		waitText("#conn-text", "Live"),
	)
	check := func(step, want string) pageFigures {
		t.Helper()
		p := readPage(t, ctx, want)
		a := askAPI(t, s, app, account, bot, p.Request)
		if a.Totals.Sessions == 0 {
			t.Fatalf("%s: no sessions in the window %s", step, p.Request)
		}
		same(t, step, p, a)
		return p
	}
	p := check("fresh page, last 4 hours", `body.bucket === '15m' && body.timezone === Intl.DateTimeFormat().resolvedOptions().timeZone && body.timezone !== 'UTC'`)
	if !strings.HasSuffix(p.From, "+05:30") {
		t.Fatalf("the window %s is not in the browser's zone", p.From)
	}
	do(t, ctx, "wide desktop", chromedp.EmulateViewport(1600, 1000), chromedp.Sleep(300*time.Millisecond))
	save(t, ctx, "dashboard-desktop.png")
	do(t, ctx, "back to 1280", chromedp.EmulateViewport(1280, 1000))

	pick := func(id, v string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event('change')); })()`, id, v))
	}
	do(t, ctx, "last hour", pick("range", "1h"))
	check("last hour", `body.bucket === '5m'`)
	do(t, ctx, "UTC", chromedp.Click(css("#tz-utc")))
	p = check("UTC", `body.bucket === '5m' && body.timezone === 'UTC'`)
	if !strings.HasSuffix(p.From, "+00:00") {
		t.Fatalf("UTC window written as %s", p.From)
	}
	do(t, ctx, "today", pick("range", "today"))
	check("today", `body.bucket === '1h' && body.timezone === 'UTC'`)

	do(t, ctx, "channel rtm", pick("range", "4h"), pick("f-channel", "rtm"))
	p = check("channel rtm", `body.bucket === '15m' && (body.channels || []).join() === 'rtm'`)
	do(t, ctx, "table of rtm", waitFor(`[...document.querySelectorAll('#rows td[data-label="Channel"]')].every((td) => td.textContent === 'rtm') && document.querySelectorAll('#rows tr').length > 0`, 10*time.Second))
	if !strings.Contains(eval[string](t, ctx, `location.search`), "channel=rtm") {
		t.Fatal("the channel filter is not in the URL")
	}
	do(t, ctx, "intent", pick("f-intent", demo.SpikeIntent))
	check("channel rtm and an intent", `(body.channels || []).join() === 'rtm' && body.intent === '`+demo.SpikeIntent+`'`)
	do(t, ctx, "table of the intent", waitFor(`document.querySelectorAll('#rows tr').length > 0 && [...document.querySelectorAll('#rows td[data-label="Intents"]')].every((td) => td.textContent.includes('`+demo.SpikeIntent+`'))`, 10*time.Second))

	// A shared link opens the same view: a new tab with the URL shows the same request.
	url := eval[string](t, ctx, `location.href`)
	tab := newTab(t, ctx)
	do(t, tab, "shared link", inZone("Asia/Kolkata"), chromedp.Navigate(url), waitText("#conn-text", "Live"))
	shared := readPage(t, tab, `body.intent === '`+demo.SpikeIntent+`' && (body.channels || []).join() === 'rtm' && body.timezone === 'UTC'`)
	same(t, "shared link", shared, askAPI(t, s, app, account, bot, shared.Request))

	// Search: part of a session id finds it on the server, whatever the table held.
	id := eval[string](t, ctx, `document.querySelector('#rows td[data-label="Session id"]').textContent`)
	needle := id[len(id)-6:]
	do(t, ctx, "search", chromedp.SendKeys(css("#q"), needle),
		waitFor(`(() => { const ids = [...document.querySelectorAll('#rows tr')].map((tr) => tr.dataset.sessionId); return ids.length > 0 && ids.includes(`+fmt.Sprintf("%q", id)+`) && [...document.querySelectorAll('#rows tr')].every((tr) => tr.textContent.includes(`+fmt.Sprintf("%q", needle)+`)); })()`, 10*time.Second))
	do(t, ctx, "clear search", chromedp.Evaluate[chromedp.Void](`(() => { const q = document.getElementById('q'); q.value = ''; q.dispatchEvent(new Event('input')); })()`))

	do(t, ctx, "all again, 1280 px", pick("f-intent", ""), pick("f-channel", ""), chromedp.EmulateViewport(1280, 900))
	check("all again", `!body.intent && !body.channels`)
	if eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1 || [...document.querySelectorAll('#sessions th')].some((th) => th.getBoundingClientRect().right > window.innerWidth)`) {
		t.Error("the table does not fit 1280 px")
	}
	do(t, ctx, "scroll to table", chromedp.Evaluate[chromedp.Void](`document.getElementById('table-title').scrollIntoView()`), chromedp.Sleep(200*time.Millisecond))
	save(t, ctx, "dashboard-1280-table.png")
	do(t, ctx, "top at 1280", chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`), chromedp.Sleep(200*time.Millisecond))
	save(t, ctx, "dashboard-1280.png")

	do(t, ctx, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)), chromedp.Sleep(300*time.Millisecond))
	if eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Error("the page scrolls sideways at phone width")
	}
	order := eval[[]float64](t, ctx, `['tiles', 'c-series', 'rows'].map((id) => document.getElementById(id).getBoundingClientRect().top)`)
	if order[0] >= order[1] || order[1] >= order[2] {
		t.Errorf("on a phone the headline row, the charts and the cards come in that order; tops %v", order)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#rows tr').length`); n != 20 {
		t.Errorf("a phone shows %d session cards, want 20", n)
	}
	do(t, ctx, "phone top", chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`), chromedp.Sleep(200*time.Millisecond))
	save(t, ctx, "dashboard-phone.png")
	do(t, ctx, "show more", chromedp.Click(css("#more")), waitFor(`document.querySelectorAll('#rows tr').length === 40`, 5*time.Second))
}
