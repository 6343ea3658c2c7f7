package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/httpapi"
	"github.com/intentrt/intentrt/internal/ingest"
	"github.com/intentrt/intentrt/internal/live"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlite"
)

// streamEnv is a real HTTP server over a real SQLite file, group committer and broker.
type streamEnv struct {
	URL      string
	DB       *sqlite.Store
	Broker   *live.Broker
	Stopping chan struct{}
}

type appLookup struct{ s *sqlite.Store }

func (a appLookup) App(ctx context.Context, id string) (auth.App, error) {
	app, err := a.s.App(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return auth.App{}, auth.ErrUnknownApp
	}
	return app, err
}

type noJTI struct{}

func (noJTI) UseJTI(context.Context, string, string, time.Time) error { return nil }

func newStreamEnv(t *testing.T, opts httpapi.StreamOptions) *streamEnv {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	broker := live.NewBroker()
	committer := ingest.NewCommitter(db, ingest.Options{Publisher: broker})
	e := &streamEnv{DB: db, Broker: broker, Stopping: make(chan struct{})}
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{
		Sessions: db, Ingest: committer, Storage: db,
		Tokens:   auth.NewVerifier(appLookup{db}, noJTI{}, nil),
		Stopping: e.Stopping, Changes: db, Live: broker, Stream: opts,
	}))
	e.URL = srv.URL
	t.Cleanup(func() {
		select {
		case <-e.Stopping:
		default:
			close(e.Stopping)
		}
		srv.CloseClientConnections()
		srv.Close()
		committer.Close()
		db.Close()
	})
	return e
}

// app creates an app and returns a token for it.
func (e *streamEnv) app(t *testing.T, account string, scopes ...auth.Scope) string {
	t.Helper()
	app, err := auth.NewApp(account, nil, true, scopes, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.DB.CreateApp(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	tok, err := auth.Mint(app.ClientID, app.ClientSecret, auth.MintOptions{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e *streamEnv) post(t *testing.T, token, account, bot, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/api/public/bot/"+bot+"/sessionevents", strings.NewReader(body))
	req.Header["auth"] = []string{token}
	req.Header["accountId"] = []string{account}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ingest: %d %s", resp.StatusCode, b)
	}
}

// completed is one whole session as a session.completed event.
func completed(id string, intents ...string) string {
	in, _ := json.Marshal(append([]string{}, intents...))
	return fmt.Sprintf(`{"type":"session.completed","sessionId":%q,"channel":"rtm","ANI":"a","DNI":"d","userId":"u",
		"startTime":"2026-01-06T14:07:08.185Z","endTime":"2026-01-06T14:08:08.185Z","intents":%s,"status":"completed"}`, id, in)
}

// sseEvent is one event read off a stream; Comment holds a comment line instead.
type sseEvent struct {
	ID, Event, Comment string
	Data               session.View
	Raw                string // the data line as sent
}

// sseClient reads a stream in the background.
type sseClient struct {
	Resp    *http.Response
	Events  chan sseEvent
	Notices chan sseEvent // summary.changed events, kept apart from the sessions
	Done    chan error    // receives why the stream ended
}

func (e *streamEnv) open(t *testing.T, token, account, bot, lastID string) *sseClient {
	t.Helper()
	c, resp, body := e.dial(t, token, account, bot, lastID)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d %s", resp.StatusCode, body)
	}
	return c
}

// dial opens a stream; for a non-200 it returns the answer's body instead of a client.
func (e *streamEnv) dial(t *testing.T, token, account, bot, lastID string) (*sseClient, *http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.URL+"/api/public/bot/"+bot+"/intentrealtimedata/stream", nil)
	req.Header["auth"] = []string{token}
	req.Header["accountId"] = []string{account}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, resp, string(b)
	}
	c := &sseClient{Resp: resp, Events: make(chan sseEvent, 10_000), Notices: make(chan sseEvent, 10_000), Done: make(chan error, 1)}
	t.Cleanup(func() { resp.Body.Close() })
	go c.read()
	return c, resp, ""
}

func (c *sseClient) read() {
	sc := bufio.NewScanner(c.Resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" && ev.Event == "summary.changed":
			c.Notices <- ev
			ev = sseEvent{}
		case line == "":
			if ev.Event != "" {
				c.Events <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, ":"):
			c.Events <- sseEvent{Comment: strings.TrimSpace(line[1:])}
		case strings.HasPrefix(line, "id: "):
			ev.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.Event = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.Raw = line[6:]
			if err := json.Unmarshal([]byte(line[6:]), &ev.Data); err != nil {
				c.Done <- fmt.Errorf("bad data line %q: %w", line, err)
				return
			}
		}
	}
	err := sc.Err()
	if err == nil {
		err = io.EOF
	}
	c.Done <- err
}

// next returns the next event (not comment), failing the test after a generous wait.
func (c *sseClient) next(t *testing.T) sseEvent {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-c.Events:
			if ev.Comment == "" {
				return ev
			}
		case err := <-c.Done:
			t.Fatalf("stream ended: %v", err)
		case <-deadline:
			t.Fatal("no event within 10s")
		}
	}
}

// ended waits for the stream to end, failing on an event in between.
func (c *sseClient) ended(t *testing.T) {
	t.Helper()
	for {
		select {
		case ev := <-c.Events:
			if ev.Comment == "" {
				t.Fatalf("unexpected event %+v", ev)
			}
		case <-c.Done:
			return
		case <-time.After(10 * time.Second):
			t.Fatal("stream did not end within 10s")
		}
	}
}
