package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/cli"
	"github.com/intentrt/intentrt/internal/testserver"
)

// completedSession is one session.completed event (a JSON array member) ending now.
func completedSession(id string) string {
	end := time.Now().UTC()
	return fmt.Sprintf(`{"type":"session.completed","sessionId":%q,"channel":"rtm","ANI":"+15550100","DNI":"+18005550100",
		"userId":"u-tls","startTime":%q,"endTime":%q,"intents":["Check Balance"],"status":"completed","deflectedTo":null}`,
		id, end.Add(-time.Minute).Format(time.RFC3339Nano), end.Format(time.RFC3339Nano))
}

// nextSession waits for the stream to deliver the session id, skipping others.
func nextSession(t *testing.T, events <-chan sseEvent, id string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the stream ended before session %s", id)
			}
			if ev.Data.SessionID == id {
				return
			}
		case <-timeout:
			t.Fatalf("session %s not streamed within 10 s", id)
		}
	}
}

// servedSerial opens a new connection to s (a client of its own, trusting the given
// certificates) and returns the serial number of the certificate the server presented.
func servedSerial(t *testing.T, s *testserver.Server, trust ...testserver.Cert) *big.Int {
	t.Helper()
	c := testserver.TLSClient(trust...)
	defer c.CloseIdleConnections()
	resp, err := c.Get(s.URL + "/healthz")
	if err != nil {
		t.Fatalf("healthz over a new connection: %v", err)
	}
	resp.Body.Close()
	return resp.TLS.PeerCertificates[0].SerialNumber
}

// waitLog waits until the server's log contains want n times.
func waitLog(t *testing.T, s *testserver.Server, want string, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d× %q in the log", n, want), func() bool { return strings.Count(s.Stderr.String(), want) >= n })
}

// TestHTTPS serves with --tls-cert/--tls-key: the seed's read request and the stream over
// HTTP/2, a certificate renewed and re-read on SIGHUP while a stream stays open, a broken
// renewal that keeps the previous certificate, and the dashboard's cookie marked Secure.
func TestHTTPS(t *testing.T) {
	s, first := testserver.StartTLS(t)
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("serve printed %s, want an https:// address", s.URL)
	}
	const account, bot = "64b7f3a2c9e1d4f5a6b7c8d9", "st-tls-bot"
	app := s.CreateApp(t, testserver.AppSpec{Account: account})
	tok := app.Token(t)
	s.Ingest(t, tok, account, bot, "["+completedSession("tls-0")+"]")

	// The seed's request, as Kore's page shows it, over HTTPS: HTTP/2, TLS 1.2 or later.
	h := testserver.Headers(tok, account)
	h["Format"] = "application/json"
	resp, body := s.Do(t, http.MethodPost, readPath(bot), h, "")
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("read over https: %d %s (TLS %+v): %s", resp.StatusCode, resp.Proto, resp.TLS != nil, body)
	}
	if got := decodeSessions(t, body); len(got) != 1 || got[0].SessionID != "tls-0" {
		t.Fatalf("read over https: %+v", got)
	}

	// The stream over HTTP/2 delivers a session ingested after it opened.
	sresp, events := openStreamResp(t, s, tok, account, bot)
	if sresp.ProtoMajor != 2 {
		t.Fatalf("stream over %s, want HTTP/2", sresp.Proto)
	}
	s.Ingest(t, tok, account, bot, "["+completedSession("tls-1")+"]")
	nextSession(t, events, "tls-1")

	// A renewed certificate (a new key and serial, written over the old files) and SIGHUP: new
	// connections get it, the open stream keeps going on its connection.
	// A server without TLS in the same process takes the same signal and carries on.
	plain := testserver.Start(t)
	second := testserver.NewCert(t, first.CertFile, first.KeyFile)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, s, "tls certificate reloaded", 1)
	waitLog(t, plain, "nothing to reload", 1)
	if resp, _ := plain.Do(t, http.MethodGet, "/healthz", nil, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("the plain server after SIGHUP: %d", resp.StatusCode)
	}
	if got := servedSerial(t, s, first, second); got.Cmp(second.Serial) != 0 {
		t.Fatalf("after SIGHUP a new connection got serial %x, want the renewed %x (old %x)", got, second.Serial, first.Serial)
	}
	s.Ingest(t, tok, account, bot, "["+completedSession("tls-2")+"]")
	nextSession(t, events, "tls-2")

	// A broken renewal (a key that is not PEM) is refused; the server keeps the certificate it had.
	if err := os.WriteFile(first.KeyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, s, "tls certificate not reloaded", 1)
	if got := servedSerial(t, s, first, second); got.Cmp(second.Serial) != 0 {
		t.Fatalf("after a failed reload a new connection got serial %x, want %x still", got, second.Serial)
	}

	// The dashboard's session cookie is Secure over TLS.
	resp, body = s.Do(t, http.MethodPost, "/ui/api/session",
		map[string]string{"X-Intentrt-Csrf": "1", "Content-Type": "application/json"},
		fmt.Sprintf(`{"accountId":%q,"clientId":%q,"clientSecret":%q}`, account, app.ClientID, app.ClientSecret))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in over https: %d %s", resp.StatusCode, body)
	}
	var secure, found bool
	for _, c := range resp.Cookies() {
		if c.Name == "intentrt_session" {
			found, secure = true, c.Secure
		}
	}
	if !found || !secure {
		t.Fatalf("sign in over https: session cookie found=%v secure=%v (Set-Cookie %q)", found, secure, resp.Header.Values("Set-Cookie"))
	}
}

// TestTLSFlagsTogether: a certificate without its key (or the reverse) is a usage error that
// says so, and a certificate file that cannot be read stops serve before it listens.
func TestTLSFlagsTogether(t *testing.T) {
	dir := t.TempDir()
	cert := testserver.NewCert(t, dir+"/c.pem", dir+"/k.pem")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", cert.CertFile}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-key", cert.KeyFile}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-cert", dir + "/missing.pem", "--tls-key", cert.KeyFile}, "missing.pem"},
		{[]string{"--tls-cert", cert.KeyFile, "--tls-key", cert.CertFile}, "tls: load"},
	} {
		stdout, err := runServeBriefly(t, dir, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(stdout, "listening") {
			t.Errorf("serve %v: err %v, stdout %q; want an error naming %q and no listening", tc.args, err, stdout, tc.want)
		}
	}
}

// runServeBriefly runs serve with args on a fresh database in dir, for a command that should
// fail at once; a serve that starts instead is stopped after 10 s.
func runServeBriefly(t *testing.T, dir string, args ...string) (stdout string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	full := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dir + "/flags.db"}, args...)
	err = cli.Run(ctx, full, func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	return out.String(), err
}

// TestCookieSecureBehindProxy: without TLS of its own, the dashboard's cookie is Secure when a
// TLS-terminating proxy says X-Forwarded-Proto: https, and not otherwise.
func TestCookieSecureBehindProxy(t *testing.T) {
	s := testserver.Start(t)
	const account = "acct-proxy"
	app := s.CreateApp(t, testserver.AppSpec{Account: account})
	body := fmt.Sprintf(`{"accountId":%q,"clientId":%q,"clientSecret":%q}`, account, app.ClientID, app.ClientSecret)
	for proto, want := range map[string]bool{"https": true, "HTTPS, http": true, "http": false, "": false} {
		h := map[string]string{"X-Intentrt-Csrf": "1", "Content-Type": "application/json"}
		if proto != "" {
			h["X-Forwarded-Proto"] = proto
		}
		resp, b := s.Do(t, http.MethodPost, "/ui/api/session", h, body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("sign in: %d %s", resp.StatusCode, b)
		}
		found := false
		for _, c := range resp.Cookies() {
			if c.Name == "intentrt_session" {
				found = true
				if c.Secure != want {
					t.Errorf("X-Forwarded-Proto %q: cookie Secure=%v, want %v", proto, c.Secure, want)
				}
			}
		}
		if !found {
			t.Errorf("X-Forwarded-Proto %q: no session cookie", proto)
		}
	}
}
