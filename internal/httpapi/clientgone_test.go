package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/httpapi"
	"github.com/intentrt/intentrt/internal/metrics"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/sqlite"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitingReader is the real store, asked only once the request's context has ended: the
// client has gone by the time storage answers.
type waitingReader struct {
	*sqlite.Store
	entered chan struct{}
}

func (w waitingReader) Latest(ctx context.Context, q session.Query) ([]session.State, error) {
	close(w.entered)
	<-ctx.Done()
	return w.Store.Latest(ctx, q)
}

func (w waitingReader) LatestJSON(ctx context.Context, q session.Query, dst []byte) ([]byte, error) {
	close(w.entered)
	<-ctx.Done()
	return w.Store.LatestJSON(ctx, q, dst)
}

// A read whose client hangs up is no server failure: logged at info with outcome
// client_gone, counted under code 499, never as a 5xx — with or without the preformatted log.
func TestClientGoneIsNot5xx(t *testing.T) {
	for _, fast := range []bool{true, false} {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		out := &lockedBuffer{}
		m := metrics.New()
		reader := waitingReader{db, make(chan struct{})}
		d := httpapi.Deps{Sessions: reader, Storage: db, Tokens: auth.NewVerifier(appLookup{db}, noJTI{}, nil),
			Metrics: m, Logger: slog.New(slog.NewTextHandler(out, nil))}
		if fast {
			d.RequestLog = &httpapi.RequestLog{W: out}
		}
		srv := httptest.NewServer(httpapi.NewServer(d))
		defer srv.Close()
		app, _ := auth.NewApp("acct", nil, true, auth.Scopes, false, time.Now())
		if err := db.CreateApp(context.Background(), app); err != nil {
			t.Fatal(err)
		}
		tok, _ := auth.Mint(app.ClientID, app.ClientSecret, auth.MintOptions{TTL: time.Hour})

		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/public/bot/st-1/intentrealtimedata", nil)
		req.Header["auth"] = []string{tok}
		req.Header["accountId"] = []string{"acct"}
		go func() { <-reader.entered; cancel() }()
		if _, err := http.DefaultClient.Do(req); err == nil {
			t.Fatal("the request was meant to be cancelled")
		}
		route := "POST /api/public/bot/{botId}/intentrealtimedata"
		var line string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if line = out.String(); strings.Contains(line, "msg=request") {
				break
			}
		}
		if !strings.Contains(line, "level=INFO") || !strings.Contains(line, "status=499") || !strings.Contains(line, "outcome=client_gone") {
			t.Errorf("fast=%v: log line %q: want INFO, status=499, outcome=client_gone", fast, line)
		}
		if n := testutil.ToFloat64(m.Requests.WithLabelValues(route, "499")); n != 1 {
			t.Errorf("fast=%v: %v requests counted under 499, want 1", fast, n)
		}
		if n := testutil.ToFloat64(m.Requests.WithLabelValues(route, "503")); n != 0 {
			t.Errorf("fast=%v: %v requests counted under 503, want 0", fast, n)
		}
	}
}
