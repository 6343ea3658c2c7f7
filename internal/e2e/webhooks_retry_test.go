package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/testserver"
)

// TestWebhookRetries: 500s, 503s and a timeout are retried with the same webhook-id until the
// receiver accepts, and the order holds across the retries.
func TestWebhookRetries(t *testing.T) {
	s := testserver.Start(t, "--webhooks-allow-private", "--webhooks-retry", "20ms", "--webhooks-timeout", "300ms")
	const account = "acct-retry"
	app := s.CreateApp(t, testserver.AppSpec{Account: account, Scopes: auth.Scopes})
	rcv := newReceiver(t)
	var (
		mu      sync.Mutex
		failing = map[string]bool{} // the first three messages fail three times each
	)
	rcv.setFail(func(id string, attempt int) (int, time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if attempt == 1 && len(failing) < 3 {
			failing[id] = true
		}
		if !failing[id] {
			return 0, 0
		}
		switch attempt {
		case 1:
			return http.StatusInternalServerError, 0
		case 2:
			return 0, time.Second // past --webhooks-timeout
		case 3:
			return http.StatusServiceUnavailable, 0
		}
		return 0, 0
	})
	w := createWebhook(t, s, rcv, "/hook", "--account", account, "--bot", "b", "--events", "session")
	var evs []string
	for i := range 10 {
		evs = append(evs, scaleEvents("rt", i))
	}
	s.Ingest(t, app.Token(t), account, "b", "["+strings.Join(evs, ",")+"]")
	waitUnique(t, rcv, 10, "after retries")
	rcv.check()
	checkOrder(t, "retries", rcv.deliveries())
	rcv.mu.Lock()
	first := rcv.got[0].id
	tries := rcv.attempts[first]
	rcv.mu.Unlock()
	if tries != 4 {
		t.Fatalf("first delivery took %d attempts under one webhook-id, want 4 (500, timeout, 503, 204)", tries)
	}
	if v := metricValue(t, s, `intentrt_webhook_deliveries_total{outcome="failed",webhook="`+w.ID+`"}`); v < 3 {
		t.Errorf("failed attempts metric %v, want at least 3", v)
	}
	if l := listWebhooks(t, s)[w.ID]; l.LastError == "" {
		t.Errorf("webhooks list shows no last error: %+v", l)
	}
}

// TestWebhookDeadLetter: a receiver failing past --webhooks-dead-after has what waited that
// long dead-lettered (visible in webhooks list); later sessions are delivered once it heals;
// replay re-sends the dead-lettered ones.
func TestWebhookDeadLetter(t *testing.T) {
	s := testserver.Start(t, "--webhooks-allow-private", "--webhooks-retry", "50ms", "--webhooks-dead-after", "1s")
	const account = "acct-dead"
	app := s.CreateApp(t, testserver.AppSpec{Account: account, Scopes: auth.Scopes})
	tok := app.Token(t)
	rcv := newReceiver(t)
	rcv.setFail(func(string, int) (int, time.Duration) { return http.StatusBadGateway, 0 })
	w := createWebhook(t, s, rcv, "/hook", "--account", account, "--bot", "b", "--events", "session")
	for i := range 5 {
		s.Ingest(t, tok, account, "b", "["+scaleEvents("dl", i)+"]")
	}
	waitFor(t, "dead letters", func() bool { return listWebhooks(t, s)[w.ID].DeadLettered == 5 })
	l := listWebhooks(t, s)[w.ID]
	if len(l.DeadLetters) == 0 || *l.Pending != 0 || !strings.Contains(l.LastError, "502") {
		t.Fatalf("webhooks list after dead-lettering: %+v", l)
	}
	rcv.setFail(nil)
	s.Ingest(t, tok, account, "b", "["+scaleEvents("dl", 5)+","+scaleEvents("dl", 6)+"]")
	waitUnique(t, rcv, 2, "after healing")
	s.CLI(t, "webhooks", "replay", w.ID, "--from", "0")
	waitUnique(t, rcv, 7, "after replay")
	rcv.check()
}

// TestWebhookPrivateAddressRefused: without --webhooks-allow-private, a URL whose name resolves
// to loopback is never connected to, and webhooks list says why.
func TestWebhookPrivateAddressRefused(t *testing.T) {
	s := testserver.Start(t, "--webhooks-retry", "50ms")
	const account = "acct-private"
	app := s.CreateApp(t, testserver.AppSpec{Account: account, Scopes: auth.Scopes})
	rcv := newReceiver(t)
	u, _ := url.Parse(rcv.srv.URL)
	w := createWebhook(t, s, rcv, "", "--account", account, "--bot", "b", "--events", "session")
	// Point it at "localhost", a name: the check must happen on the address connected to.
	s.CLI(t, "webhooks", "revoke", w.ID)
	out := s.CLI(t, "webhooks", "create", "--url", "http://localhost:"+u.Port()+"/hook", "--account", account, "--bot", "b", "--events", "session")
	if !strings.Contains(out, "whsec_") {
		t.Fatal(out)
	}
	s.Ingest(t, app.Token(t), account, "b", "["+scaleEvents("pv", 0)+"]")
	waitFor(t, "a refused attempt", func() bool {
		for _, l := range listWebhooks(t, s) {
			if strings.Contains(l.LastError, "not public") {
				return true
			}
		}
		return false
	})
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if n := len(rcv.attempts); n != 0 {
		t.Fatalf("the receiver on loopback was reached %d times", n)
	}
}
