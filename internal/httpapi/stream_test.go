package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/httpapi"
)

const acct, bot = "acct-a", "st-bot"

// TestStreamLiveAndResume: live delivery, then sessions ingested while the client is away are
// replayed on reconnect (across several storage pages) before live ones, none lost or repeated.
func TestStreamLiveAndResume(t *testing.T) {
	e := newStreamEnv(t, httpapi.StreamOptions{Page: 2})
	tok := e.app(t, acct, auth.ScopeAnalytics, auth.ScopeIngest)
	e.post(t, tok, acct, bot, "["+completed("before")+"]") // before the stream: not sent without a cursor

	c := e.open(t, tok, acct, bot, "")
	if got := c.Resp.Header.Get("Content-Type"); got != "text/event-stream" {
		t.Errorf("Content-Type %q", got)
	}
	if got := c.Resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q", got)
	}
	if got := c.Resp.Header.Get("X-Accel-Buffering"); got != "no" {
		t.Errorf("X-Accel-Buffering %q", got)
	}
	e.post(t, tok, acct, bot, "["+completed("s1", "Book a Flight")+"]")
	ev := c.next(t)
	if ev.Event != "session" || ev.Data.SessionID != "s1" || ev.ID == "" {
		t.Fatalf("first event %+v", ev)
	}
	if ev.Data.Intent[0] != "Book a Flight" || ev.Data.TimeHandled != "1m 0s" || ev.Data.StartTime != "2026-01-06T14:07:08.185+00:00" {
		t.Fatalf("data is not the read API's object: %+v", ev.Data)
	}
	c.Resp.Body.Close()

	var missed []string
	for i := 2; i <= 6; i++ {
		missed = append(missed, completed(fmt.Sprintf("s%d", i)))
	}
	e.post(t, tok, acct, bot, "["+strings.Join(missed, ",")+"]")

	c = e.open(t, tok, acct, bot, ev.ID)
	var got []string
	last, _ := strconv.ParseInt(ev.ID, 10, 64)
	for len(got) < 5 {
		ev := c.next(t)
		id, _ := strconv.ParseInt(ev.ID, 10, 64)
		if id <= last || ev.Event != "session" {
			t.Fatalf("event %+v after id %d", ev, last)
		}
		last = id
		got = append(got, ev.Data.SessionID)
	}
	if strings.Join(got, ",") != "s2,s3,s4,s5,s6" {
		t.Fatalf("replayed %v", got)
	}
	e.post(t, tok, acct, bot, "["+completed("s7")+"]")
	if ev := c.next(t); ev.Data.SessionID != "s7" || ev.Event != "session" {
		t.Fatalf("after replay: %+v", ev)
	}

	// The same cursor through the query parameter, for EventSource clients.
	req, _ := http.NewRequest(http.MethodGet, e.URL+"/api/public/bot/"+bot+"/intentrealtimedata/stream?lastEventId="+strconv.FormatInt(last, 10), nil)
	req.Header["auth"] = []string{tok}
	req.Header["accountId"] = []string{acct}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("query cursor: %v %v", err, resp)
	}
	resp.Body.Close()
}

// TestStreamLateIntent: an intent detected after the session completed is pushed as an update.
func TestStreamLateIntent(t *testing.T) {
	e := newStreamEnv(t, httpapi.StreamOptions{})
	tok := e.app(t, acct, auth.ScopeAnalytics, auth.ScopeIngest)
	c := e.open(t, tok, acct, bot, "")
	e.post(t, tok, acct, bot, "["+completed("s1", "Check Balance")+"]")
	first := c.next(t)
	e.post(t, tok, acct, bot, `[{"type":"intent.detected","sessionId":"s1","time":"2026-01-06T14:07:30Z","intent":"Report Fraud"}]`)
	ev := c.next(t)
	if ev.Event != "session.updated" || ev.Data.SessionID != "s1" || strings.Join(ev.Data.Intent, ",") != "Check Balance,Report Fraud" || ev.ID <= first.ID {
		t.Fatalf("update %+v after %+v", ev, first)
	}
	// A client resuming from before the completion sees the session once, as new, in its
	// latest state; one resuming between completion and update sees the update.
	c2 := e.open(t, tok, acct, bot, "0")
	if ev := c2.next(t); ev.Event != "session" || len(ev.Data.Intent) != 2 {
		t.Fatalf("resume from 0: %+v", ev)
	}
	c3 := e.open(t, tok, acct, bot, first.ID)
	if ev := c3.next(t); ev.Event != "session.updated" {
		t.Fatalf("resume from completion: %+v", ev)
	}
}

// TestStreamSlowConsumer: a client that never reads and a subscriber with a tiny buffer delay
// neither ingest nor a well-behaved client; the tiny one is cut off, and a stream cut off for
// being slow resumes from its last id with nothing lost or repeated.
func TestStreamSlowConsumer(t *testing.T) {
	e := newStreamEnv(t, httpapi.StreamOptions{Buffer: 1})
	tok := e.app(t, acct, auth.ScopeAnalytics, auth.ScopeIngest)

	// A client that sends its request and never reads a byte.
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/public/bot/%s/intentrealtimedata/stream HTTP/1.1\r\nHost: x\r\nauth: %s\r\naccountId: %s\r\n\r\n", bot, tok, acct)
	stuck := e.Broker.Subscribe(acct, bot, 1) // a subscriber that never receives
	defer stuck.Close()

	good := e.open(t, tok, acct, bot, "")
	const batches, perBatch = 20, 10
	var (
		wg      sync.WaitGroup
		started = time.Now()
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for b := range batches {
			var evs []string
			for i := range perBatch {
				evs = append(evs, completed(fmt.Sprintf("s%03d", b*perBatch+i)))
			}
			e.post(t, tok, acct, bot, "["+strings.Join(evs, ",")+"]")
		}
	}()

	// Read everything, resuming whenever the server cuts the stream for being slow. The stream
	// began at cursor 0 (nothing was stored), so a stream cut before its first session resumes
	// from there: without an id it would start at the head and skip what it missed.
	var (
		got     []string
		lastID  = "0"
		resumes int
	)
	deadline := time.After(30 * time.Second)
	for len(got) < batches*perBatch {
		select {
		case ev := <-good.Events:
			if ev.Comment != "" {
				continue
			}
			if mustInt(t, ev.ID) <= mustInt(t, lastID) {
				t.Fatalf("event %s after %s", ev.ID, lastID)
			}
			lastID = ev.ID
			got = append(got, ev.Data.SessionID)
		case <-good.Done:
			resumes++
			good = e.open(t, tok, acct, bot, lastID)
		case <-deadline:
			t.Fatalf("got %d of %d sessions within 30s", len(got), batches*perBatch)
		}
	}
	wg.Wait()
	for i, id := range got {
		if want := fmt.Sprintf("s%03d", i); id != want {
			t.Fatalf("session %d is %s, want %s (lost or repeated)", i, id, want)
		}
	}
	select {
	case <-stuck.Dropped():
	default:
		t.Fatal("the subscriber that never reads was not dropped")
	}
	t.Logf("%d sessions in %v with %d resumes after a drop", len(got), time.Since(started), resumes)
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return n
}

// TestStreamTenantIsolation: the same bot id under another account is another bot.
func TestStreamTenantIsolation(t *testing.T) {
	e := newStreamEnv(t, httpapi.StreamOptions{})
	tokA := e.app(t, acct, auth.ScopeAnalytics, auth.ScopeIngest)
	tokB := e.app(t, "acct-b", auth.ScopeAnalytics, auth.ScopeIngest)
	e.post(t, tokA, acct, bot, "["+completed("a-old")+"]")
	cb := e.open(t, tokB, "acct-b", bot, "0") // replay everything account B may see
	e.post(t, tokA, acct, bot, "["+completed("a-new")+"]")
	e.post(t, tokB, "acct-b", bot, "["+completed("b-1")+"]")
	if ev := cb.next(t); ev.Data.SessionID != "b-1" {
		t.Fatalf("account B saw %+v", ev)
	}
	// B's token with A's account header is refused.
	_, resp, body := e.dial(t, tokB, acct, bot, "")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"code":403`) {
		t.Fatalf("cross-account: %d %s", resp.StatusCode, body)
	}
}

// TestStreamHeartbeat: comments keep an idle stream alive.
func TestStreamHeartbeat(t *testing.T) {
	e := newStreamEnv(t, httpapi.StreamOptions{Heartbeat: 20 * time.Millisecond})
	tok := e.app(t, acct, auth.ScopeAnalytics)
	c := e.open(t, tok, acct, bot, "")
	for {
		select {
		case ev := <-c.Events:
			if ev.Comment == "ping" {
				return
			}
		case err := <-c.Done:
			t.Fatalf("stream ended: %v", err)
		case <-time.After(5 * time.Second):
			t.Fatal("no heartbeat within 5s")
		}
	}
}

// TestStreamEnds: the lifetime limit and shutdown end a stream.
func TestStreamEnds(t *testing.T) {
	e := newStreamEnv(t, httpapi.StreamOptions{MaxLifetime: 50 * time.Millisecond})
	tok := e.app(t, acct, auth.ScopeAnalytics)
	e.open(t, tok, acct, bot, "").ended(t)

	e = newStreamEnv(t, httpapi.StreamOptions{IdleTimeout: 50 * time.Millisecond})
	tok = e.app(t, acct, auth.ScopeAnalytics)
	e.open(t, tok, acct, bot, "").ended(t)

	e = newStreamEnv(t, httpapi.StreamOptions{})
	tok = e.app(t, acct, auth.ScopeAnalytics)
	c := e.open(t, tok, acct, bot, "")
	close(e.Stopping)
	c.ended(t)
}

// TestStreamRefusals: the read API's auth, bad cursors and the per-app limit.
func TestStreamRefusals(t *testing.T) {
	e := newStreamEnv(t, httpapi.StreamOptions{MaxPerApp: 1})
	tok := e.app(t, acct, auth.ScopeAnalytics, auth.ScopeIngest)
	ingestOnly := e.app(t, acct, auth.ScopeIngest)
	e.post(t, tok, acct, bot, "["+completed("s1")+"]")
	cases := []struct {
		name, token, account, lastID string
		status                       int
	}{
		{"no token", "", acct, "", 401},
		{"bad token", "x.y.z", acct, "", 401},
		{"no account", tok, "", "", 400},
		{"ingest scope only", ingestOnly, acct, "", 403},
		{"cursor not a number", tok, acct, "abc", 400},
		{"negative cursor", tok, acct, "-1", 400},
		{"cursor ahead of the stream", tok, acct, "99999", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, resp, body := e.dial(t, tc.token, tc.account, bot, tc.lastID)
			if resp.StatusCode != tc.status || !strings.Contains(body, fmt.Sprintf(`"code":%d`, tc.status)) {
				t.Fatalf("%d %s, want %d", resp.StatusCode, body, tc.status)
			}
		})
	}
	c := e.open(t, tok, acct, bot, "")
	_, resp, body := e.dial(t, tok, acct, bot, "")
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, `"errors"`) {
		t.Fatalf("second stream of the app: %d %s", resp.StatusCode, body)
	}
	c.Resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for { // the slot frees once the server sees the client gone
		c2, resp, _ := e.dial(t, tok, acct, bot, "")
		if resp.StatusCode == http.StatusOK {
			c2.Resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not freed: %d", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStreamSummaryChanged: an ingest that changes a bot's figures is followed by one
// summary.changed event on the bot's stream, carrying the time in the API's format; another
// bot's stream hears nothing of it.
func TestStreamSummaryChanged(t *testing.T) {
	e := newStreamEnv(t, httpapi.StreamOptions{})
	tok := e.app(t, acct, auth.ScopeAnalytics, auth.ScopeIngest)
	c := e.open(t, tok, acct, bot, "")
	other := e.open(t, tok, acct, "st-other", "")
	before := time.Now().Truncate(time.Millisecond)
	e.post(t, tok, acct, bot, "["+completed("s1")+"]")
	var n sseEvent
	select {
	case n = <-c.Notices:
	case <-time.After(10 * time.Second):
		t.Fatal("no summary.changed within 10s")
	}
	var body struct{ AsOf string }
	if err := json.Unmarshal([]byte(n.Raw), &body); err != nil || n.ID != "" {
		t.Fatalf("notice %+v: %v", n, err)
	}
	at, err := time.Parse("2006-01-02T15:04:05.000-07:00", body.AsOf)
	if err != nil || !strings.HasSuffix(body.AsOf, "+00:00") || at.Before(before) {
		t.Fatalf("asOf %q (%v), want a UTC time after %v", body.AsOf, err, before)
	}
	if ev := c.next(t); ev.Data.SessionID != "s1" {
		t.Fatalf("session event %+v", ev)
	}
	select {
	case n := <-other.Notices:
		t.Fatalf("another bot's stream got %+v", n)
	case <-time.After(200 * time.Millisecond):
	}
}
