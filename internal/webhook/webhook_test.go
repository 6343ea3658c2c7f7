package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "1.1.1.1": true, "2606:4700:4700::1111": true,
		"127.0.0.1": false, "127.8.9.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false,
		"192.168.1.1": false, "169.254.169.254": false, "fe80::1": false, "fc00::1": false, "0.0.0.0": false,
		"::": false, "100.64.0.1": false, "224.0.0.1": false, "255.255.255.255": false, "::ffff:127.0.0.1": false,
		"::ffff:10.0.0.1": false, "64:ff9b::a00:1": false, "2002:a00:1::": false, "198.18.0.1": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestGuardChecksConnectedAddress: a name that resolves to loopback is refused at connection
// time, by the default resolver ("localhost") and by a resolver that answers 127.0.0.1 for a
// public-looking name; allowed with allowPrivate.
func TestGuardChecksConnectedAddress(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	// A DNS server stand-in: every name resolves to 127.0.0.1.
	lying := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		return fakeDNS(t, "127.0.0.1")
	}}
	for _, tc := range []struct {
		url      string
		resolver *net.Resolver
	}{
		{"http://localhost:" + port + "/", nil},
		{"http://receiver.example.com:" + port + "/", lying},
		{srv.URL, nil},
	} {
		_, err := NewClient(false, tc.resolver, 2*time.Second).Get(tc.url)
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: %v, want ErrForbiddenAddress", tc.url, err)
		}
	}
	if hits != 0 {
		t.Fatalf("the loopback receiver was reached %d times", hits)
	}
	resp, err := NewClient(true, lying, 2*time.Second).Get("http://receiver.example.com:" + port + "/")
	if err != nil {
		t.Fatalf("allowPrivate: %v", err)
	}
	resp.Body.Close()
	if hits != 1 {
		t.Fatalf("allowPrivate: %d hits", hits)
	}
}

// TestNoRedirects: a 3xx is the answer, not a hop to wherever it points.
func TestNoRedirects(t *testing.T) {
	target := 0
	dst := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { target++ }))
	defer dst.Close()
	src := httptest.NewServer(http.RedirectHandler(dst.URL, http.StatusTemporaryRedirect))
	defer src.Close()
	resp, err := NewClient(true, nil, time.Second).Post(src.URL, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || target != 0 {
		t.Fatalf("status %d, redirect target reached %d times", resp.StatusCode, target)
	}
}

func TestBackoff(t *testing.T) {
	base, ceil := time.Second, 10*time.Minute
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 5: 16 * time.Second, 30: ceil} {
		for range 50 {
			if d := backoff(n, base, ceil); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", n, d, want/2, want)
			}
		}
	}
	// Attempts over 24 h: at least 24 h of retrying happens before the dead-letter check fires.
	var total time.Duration
	n := 0
	for total < 24*time.Hour {
		n++
		total += backoff(n, base, ceil)
	}
	if n < 100 {
		t.Fatalf("only %d attempts in 24 h", n)
	}
}

func TestSessionMessage(t *testing.T) {
	end := time.Date(2026, 11, 24, 10, 0, 0, 500_000_000, time.UTC)
	st := session.State{Key: session.Key{Account: `a"c/1`, Bot: "b 1", SessionID: `s"1\`}, Channel: "rtm", Status: session.StatusCompleted,
		Start: end.Add(-time.Minute), End: end, Seq: 42, CompletedSeq: 42}
	m := SessionMessage("wh_abc", session.Change{Seq: 42, Kind: session.ChangeCompleted, State: st})
	var ev map[string]any
	if err := json.Unmarshal(m.Body, &ev); err != nil {
		t.Fatalf("%s: %v", m.Body, err)
	}
	want := map[string]any{"specversion": "1.0", "id": "session-42", "source": "/accounts/a%22c%2F1/bots/b%201",
		"type": TypeSession, "subject": `s"1\`, "time": "2026-11-24T10:00:00.5Z", "datacontenttype": "application/json", "cursor": 42.0}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("%s = %v, want %v", k, ev[k], v)
		}
	}
	data, _ := json.Marshal(ev["data"])
	if !strings.Contains(string(data), `"sessionId":"s\"1\\"`) || m.ID != "msg_abc_42" {
		t.Fatalf("data %s id %s", data, m.ID)
	}
	up := SessionMessage("wh_abc", session.Change{Seq: 43, Kind: session.ChangeUpdated, State: st})
	if !strings.Contains(string(up.Body), `"type":"`+TypeSessionUpdated+`"`) || up.ID == m.ID {
		t.Fatalf("update: %s %s", up.ID, up.Body)
	}
}

func TestNewValidates(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		bot     string
		all     bool
		url     string
		events  []Event
		wantErr string
	}{
		{"b", false, "ftp://x/", []Event{EventSession}, "https://"},
		{"b", false, "https://u:p@x/", []Event{EventSession}, "credentials"},
		{"b", true, "https://x/", []Event{EventSession}, "--bot or --all-bots"},
		{"", false, "https://x/", []Event{EventSession}, "--bot or --all-bots"},
		{"b", false, "https://x/", nil, "at least one event"},
		{"b", false, "https://x/", []Event{"sessions"}, "unknown event"},
	} {
		if _, err := New("a", tc.bot, tc.all, tc.url, tc.events, now); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%+v: %v, want an error with %q", tc, err, tc.wantErr)
		}
	}
	w, err := New("a", "", true, "https://x/", []Event{EventSession, EventAlert, EventSession}, now)
	if err != nil || len(w.Events) != 2 || !strings.HasPrefix(w.ID, "wh_") {
		t.Fatalf("%+v %v", w, err)
	}
	key, err := SecretKey(w.Secret)
	if err != nil || len(key) != 32 {
		t.Fatalf("secret %q: %d bytes, %v", w.Secret, len(key), err)
	}
}

func TestPressure(t *testing.T) {
	var p Pressure
	for range 50 { // commits back to back: the writer is always busy
		p.ObserveCommit(time.Millisecond)
	}
	if !p.Saturated() {
		t.Fatal("back-to-back commits are not saturation")
	}
	var q Pressure
	for range 20 { // 1 ms commits 5 ms apart
		q.ObserveCommit(time.Millisecond)
		time.Sleep(5 * time.Millisecond)
	}
	if q.Saturated() {
		t.Fatal("a writer busy a fifth of the time is saturated")
	}
	var nilp *Pressure
	if nilp.Saturated() {
		t.Fatal("no pressure gauge means never saturated")
	}
}
