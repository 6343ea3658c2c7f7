package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/testserver"
)

// createdWebhook is what "webhooks create" prints.
type createdWebhook struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// listedWebhook is an element of "webhooks list".
type listedWebhook struct {
	ID           string `json:"id"`
	Cursor       int64  `json:"cursor"`
	Pending      *int64 `json:"pending"`
	LastError    string `json:"lastError"`
	DeadLettered int64  `json:"deadLettered"`
	DeadLetters  []struct {
		After, Through, Count int64
	} `json:"deadLetters"`
}

// createWebhook registers rcv (path suffix path) for the given scope and hands it the secret.
func createWebhook(t *testing.T, s *testserver.Server, rcv *receiver, path string, scope ...string) createdWebhook {
	t.Helper()
	out := s.CLI(t, append([]string{"webhooks", "create", "--url", rcv.srv.URL + path}, scope...)...)
	var w createdWebhook
	if err := json.Unmarshal([]byte(out), &w); err != nil || !strings.HasPrefix(w.Secret, "whsec_") || w.ID == "" {
		t.Fatalf("webhooks create printed %s (%v)", out, err)
	}
	rcv.setSecret(w.Secret)
	return w
}

func listWebhooks(t *testing.T, s *testserver.Server) map[string]listedWebhook {
	t.Helper()
	var list []listedWebhook
	if err := json.Unmarshal([]byte(s.CLI(t, "webhooks", "list")), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]listedWebhook{}
	for _, w := range list {
		out[w.ID] = w
	}
	return out
}

// checkOrder fails unless the accepted deliveries' cursors only grow, counting a repeat (an
// at-least-once redelivery) as no step back.
func checkOrder(t *testing.T, name string, ds []delivery) {
	t.Helper()
	var last int64
	for i, d := range ds {
		if d.event.Cursor < last {
			t.Fatalf("%s: delivery %d has cursor %d after %d: out of order", name, i, d.event.Cursor, last)
		}
		last = d.event.Cursor
	}
}

// waitUnique waits until rcv has accepted n distinct messages (no more).
func waitUnique(t *testing.T, rcv *receiver, n int, what string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%s: %d deliveries", what, n), func() bool { return rcv.unique() >= n })
	if got := rcv.unique(); got != n {
		t.Fatalf("%s: %d distinct deliveries, want %d", what, got, n)
	}
}

// TestWebhookDelivery: sessions of a bot reach its webhook and an account-wide webhook, signed,
// as CloudEvents whose data is the read API's element, in cursor order; a late intent is a
// session.updated for the webhook that subscribed to it only.
func TestWebhookDelivery(t *testing.T) {
	s := testserver.Start(t, "--webhooks-allow-private")
	const account = "acct-wh"
	app := s.CreateApp(t, testserver.AppSpec{Account: account, Scopes: auth.Scopes})
	tok := app.Token(t)
	one, all := newReceiver(t), newReceiver(t)
	w1 := createWebhook(t, s, one, "/one?token=abc", "--account", account, "--bot", "b1", "--events", "session")
	w2 := createWebhook(t, s, all, "/all", "--account", account, "--all-bots", "--events", "session,session.updated")
	_ = createWebhook(t, s, newReceiver(t), "/other", "--account", "acct-other", "--all-bots", "--events", "session")

	for b := range 6 {
		var evs []string
		for i := range 10 {
			evs = append(evs, scaleEvents("wh", b*10+i))
		}
		s.Ingest(t, tok, account, "b1", "["+strings.Join(evs, ",")+"]")
		s.Ingest(t, tok, account, "b2", "["+scaleEvents("wh2", b)+"]")
	}
	waitUnique(t, one, 60, "bot webhook")
	// A late intent on a session both have seen.
	s.Ingest(t, tok, account, "b1", `[{"type":"intent.detected","sessionId":"wh-00003","time":"2026-11-24T06:00:01Z","intent":"Late"}]`)
	waitUnique(t, all, 67, "account webhook")
	one.check()
	all.check()
	checkPayloads(t, one, "WebhookSessionEvent")
	checkPayloads(t, all, "WebhookSessionEvent")
	checkOrder(t, "bot webhook", one.deliveries())
	checkOrder(t, "account webhook", all.deliveries())

	checkSessionEvents(t, s, tok, account, one, all)
	listed := listWebhooks(t, s)
	waitFor(t, "nothing pending", func() bool {
		listed = listWebhooks(t, s)
		return *listed[w1.ID].Pending == 0 && *listed[w2.ID].Pending == 0
	})
	if v := metricValue(t, s, `intentrt_webhook_deliveries_total{outcome="delivered",webhook="`+w1.ID+`"}`); v != 60 {
		t.Errorf("delivered metric of the bot webhook: %v, want 60", v)
	}

	revokeAndReplay(t, s, tok, account, w1, w2, one, all)
}

// checkSessionEvents: the CloudEvents attributes of every delivery, and data exactly the read
// API's element for that session (but the one updated since).
func checkSessionEvents(t *testing.T, s *testserver.Server, tok, account string, one, all *receiver) {
	t.Helper()
	// The data is exactly the read API's element for that session.
	resp, body := s.Do(t, http.MethodPost, readPath("b1"), testserver.Headers(tok, account), `{"limit":100}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("read: %d %s", resp.StatusCode, body)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(body, &elems); err != nil {
		t.Fatal(err)
	}
	read := map[string][]byte{}
	for _, e := range elems {
		var v struct{ SessionID string }
		_ = json.Unmarshal(e, &v)
		read[v.SessionID] = e
	}
	for _, d := range all.deliveries() {
		ev := d.event
		if ev.SpecVersion != "1.0" || ev.DataContentType != "application/json" || ev.ID == "" || ev.Time == "" {
			t.Fatalf("CloudEvents attributes: %s", d.body)
		}
		if !strings.HasPrefix(ev.Source, "/accounts/acct-wh/bots/b") {
			t.Fatalf("source %q", ev.Source)
		}
		if ev.Source == "/accounts/acct-wh/bots/b1" && (ev.Type == "com.intentrt.session.updated") != (ev.Subject == "wh-00003" && strings.Contains(string(ev.Data), "Late")) {
			t.Fatalf("type %s for %s: %s", ev.Type, ev.Subject, ev.Data)
		}
		if want, ok := read[ev.Subject]; ok && ev.Subject != "wh-00003" && !bytes.Equal(ev.Data, want) {
			t.Fatalf("data of %s\n got %s\nwant %s", ev.Subject, ev.Data, want)
		}
	}
	for _, d := range one.deliveries() {
		if d.event.Type != "com.intentrt.session" || d.event.Source != "/accounts/acct-wh/bots/b1" {
			t.Fatalf("bot webhook got %s from %s", d.event.Type, d.event.Source)
		}
	}
}

// revokeAndReplay: a revoked webhook gets nothing more; a replay re-sends what follows a
// cursor, under the same ids.
func revokeAndReplay(t *testing.T, s *testserver.Server, tok, account string, w1, w2 createdWebhook, one, all *receiver) {
	// Revoked: no more deliveries (the server picks it up within 5 s; the next ingest waits that).
	s.CLI(t, "webhooks", "revoke", w1.ID)
	time.Sleep(5 * time.Second)
	s.Ingest(t, tok, account, "b1", "["+scaleEvents("wh", 100)+"]")
	waitUnique(t, all, 68, "account webhook after revoke")
	time.Sleep(500 * time.Millisecond)
	if n := one.unique(); n != 60 {
		t.Fatalf("a revoked webhook received %d deliveries, want 60", n)
	}

	// Replay from the cursor of the tenth delivery re-sends everything after it, same ids.
	tenth := all.deliveries()[9]
	s.CLI(t, "webhooks", "replay", w2.ID, "--from", fmt.Sprint(tenth.event.Cursor))
	waitFor(t, "replayed deliveries", func() bool { return len(all.deliveries()) >= 68+58 })
	if n := all.unique(); n != 68 {
		t.Fatalf("after replay %d distinct ids, want the same 68", n)
	}
	checkOrder(t, "replay", all.deliveries()[68:])
}
