// Package testserver starts a real intentrt server for tests, through the same cli.Run that the
// binary uses, on a free port and a fresh SQLite file (or the DSN a test gives), and offers the
// few calls every HTTP test needs: create an app, mint a token, send a request.
package testserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/cli"
)

// Server is a running intentrt.
type Server struct {
	URL    string // http://127.0.0.1:PORT, or https:// (StartTLS)
	DB     string // the --db it runs on
	Stdout *SyncBuffer
	Stderr *SyncBuffer  // the server's logs
	Client *http.Client // what Do uses: http.DefaultClient, or one that trusts StartTLS's certificate

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// SyncBuffer is a bytes.Buffer safe for the server goroutine to write while a test reads.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listening = regexp.MustCompile(`intentrt listening on (https?://\S+)`)

// Start runs "intentrt serve" with a fresh SQLite file in t.TempDir() and extra args, waits until
// /healthz answers, and stops the server when the test ends.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	return StartDB(t, filepath.Join(t.TempDir(), "intentrt.db"), args...)
}

// StartDB is Start on a given --db (a file path or a postgres:// DSN).
func StartDB(t testing.TB, db string, args ...string) *Server {
	t.Helper()
	return start(t, db, http.DefaultClient, args)
}

// start runs serve on db with args and waits for its /healthz through client.
func start(t testing.TB, db string, client *http.Client, args []string) *Server {
	t.Helper()
	s := &Server{DB: db, Stdout: &SyncBuffer{}, Stderr: &SyncBuffer{}, Client: client, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	// Log lines are written at once so that a test can read them while the server runs.
	full := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--rate-limit", "0", "--auth-fail-limit", "0", "--log-flush", "0"}, args...)
	env := func(string) string { return "" }
	go func() { s.done <- cli.Run(ctx, full, env, strings.NewReader(""), s.Stdout, s.Stderr) }()
	deadline := time.Now().Add(20 * time.Second)
	for s.URL == "" {
		if m := listening.FindStringSubmatch(s.Stdout.String()); m != nil {
			s.URL = m[1]
			break
		}
		select {
		case err := <-s.done:
			cancel()
			t.Fatalf("server exited before listening: %v\nlogs:\n%s", err, s.Stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not start within 20s; logs:\n%s", s.Stderr.String())
		}
	}
	for {
		resp, err := s.Client.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz did not answer: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("server stopped with error: %v", err)
		}
	})
	return s
}

// Stop shuts the server down gracefully (as SIGTERM does) and returns what serve returned.
func (s *Server) Stop() error {
	s.once.Do(func() {
		s.cancel()
		select {
		case s.err = <-s.done:
		case <-time.After(60 * time.Second):
			s.err = fmt.Errorf("server did not stop within 60s")
		}
	})
	return s.err
}

// CLI runs another intentrt subcommand against the server's database and returns its stdout.
func (s *Server) CLI(t testing.TB, args ...string) string {
	t.Helper()
	return RunCLI(t, append(args, "--db", s.DB)...)
}

// RunCLI runs an intentrt subcommand and returns its stdout; it fails the test on error.
func RunCLI(t testing.TB, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := cli.Run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errb); err != nil {
		t.Fatalf("intentrt %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// AppSpec describes an app to create.
type AppSpec struct {
	Account    string
	Bots       []string // empty: all bots
	Scopes     []auth.Scope
	EnforceJTI bool
}

// CreatedApp is what "apps create" printed.
type CreatedApp struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	AccountID    string `json:"accountId"`
}

// CreateApp creates an app through the CLI, as an operator would.
func (s *Server) CreateApp(t testing.TB, spec AppSpec) CreatedApp {
	t.Helper()
	return CreateAppDB(t, s.DB, spec)
}

// CreateAppDB creates an app through the CLI in the database db, with or without a server.
func CreateAppDB(t testing.TB, db string, spec AppSpec) CreatedApp {
	t.Helper()
	args := []string{"apps", "create", "--db", db, "--account", spec.Account}
	if len(spec.Bots) == 0 {
		args = append(args, "--all-bots")
	}
	for _, b := range spec.Bots {
		args = append(args, "--bot", b)
	}
	scopes := spec.Scopes
	if len(scopes) == 0 {
		scopes = auth.Scopes
	}
	for _, sc := range scopes {
		args = append(args, "--scope", string(sc))
	}
	if spec.EnforceJTI {
		args = append(args, "--enforce-jti")
	}
	var app CreatedApp
	if err := json.Unmarshal([]byte(RunCLI(t, args...)), &app); err != nil {
		t.Fatalf("apps create output: %v", err)
	}
	return app
}

// Token mints an HS256 token valid for an hour for the app.
func (a CreatedApp) Token(t testing.TB) string {
	t.Helper()
	tok, err := auth.Mint(a.ClientID, a.ClientSecret, auth.MintOptions{TTL: time.Hour, JTI: true})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Do sends a request with the given headers and body and returns the response with its body read.
func (s *Server) Do(t testing.TB, method, path string, headers map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header[k] = []string{v} // as given: "accountId" and "auth" keep their casing on the wire
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// Headers returns the auth headers of the read and ingest APIs for an app and account.
func Headers(token, account string) map[string]string {
	return map[string]string{"auth": token, "accountId": account}
}

// Ingest posts events (a JSON array) for a bot and fails the test unless they are acknowledged.
func (s *Server) Ingest(t testing.TB, token, account, bot, events string) (accepted, duplicates int) {
	t.Helper()
	h := Headers(token, account)
	h["Content-Type"] = "application/json"
	resp, body := s.Do(t, http.MethodPost, "/api/public/bot/"+bot+"/sessionevents", h, events)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ingest: %d %s", resp.StatusCode, body)
	}
	var r struct{ Accepted, Duplicates int }
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("ingest response %s: %v", body, err)
	}
	return r.Accepted, r.Duplicates
}
