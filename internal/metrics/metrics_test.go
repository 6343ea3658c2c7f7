package metrics_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/intentrt/intentrt/internal/metrics"
	"github.com/intentrt/intentrt/internal/testserver"
)

// TestLint runs the client library's own linter over every collector of a server, each with
// values in it, and over the whole registry.
func TestLint(t *testing.T) {
	m := metrics.New()
	m.Requests.WithLabelValues("POST /api/public/bot/{botId}/intentrealtimedata", "200").Inc()
	m.RequestDuration.WithLabelValues("POST /api/public/bot/{botId}/intentrealtimedata").Observe(0.002)
	m.Events.WithLabelValues("accepted", "http").Add(3)
	m.NATSMessages.WithLabelValues("committed").Inc()
	m.ObserveCommit(2, 3, time.Millisecond, nil)
	m.ObserveCommit(1, 1, time.Millisecond, errors.New("disk full"))
	m.ObserveVisible(3 * time.Millisecond)
	m.RateLimited.Inc()
	m.SetStreamSubscribers(func() int { return 2 })
	m.SetNATSPending(func() float64 { return 5 })
	for name, c := range map[string]prometheus.Collector{
		"Requests": m.Requests, "RequestDuration": m.RequestDuration, "Events": m.Events, "CommitBatches": m.CommitBatches,
		"CommitEvents": m.CommitEvents, "CommitDuration": m.CommitDuration, "CommitErrors": m.CommitErrors,
		"RateLimited": m.RateLimited, "NATSMessages": m.NATSMessages, "VisibleLag": m.VisibleLag,
	} {
		problems, err := testutil.CollectAndLint(c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s: %s", name, p.Metric, p.Text)
		}
	}
	problems, err := testutil.GatherAndLint(m.Registry)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("registry: %s: %s", p.Metric, p.Text)
	}
	n, err := testutil.GatherAndCount(m.Registry, "intentrt_stream_subscribers", "intentrt_nats_consumer_pending_messages")
	if err != nil || n != 2 {
		t.Fatalf("hook gauges: %d series, %v", n, err)
	}
}

// scrape returns the samples of /metrics as "name{labels}" -> value.
func scrape(t *testing.T, s *testserver.Server) map[string]float64 {
	t.Helper()
	resp, body := s.Do(t, http.MethodGet, "/metrics", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestServerExposesFamilies scrapes a running server after a read, an ingest, a refused read
// and with a stream open, and finds each family the issue asks for with the value the traffic
// implies.
func TestServerExposesFamilies(t *testing.T) {
	s := testserver.Start(t, "--rate-limit", "1")
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct"})
	tok := app.Token(t)
	h := testserver.Headers(tok, "acct")
	s.Ingest(t, tok, "acct", "st-bot", `[{"type":"session.completed","sessionId":"s1","channel":"rtm","ANI":"a","DNI":"d","userId":"u",
		"startTime":"2026-11-24T10:00:00Z","endTime":"2026-11-24T10:01:00Z","intents":["Book a Flight"],"status":"completed"}]`)
	for i, want := range []int{http.StatusOK, http.StatusTooManyRequests} {
		if resp, body := s.Do(t, http.MethodPost, "/api/public/bot/st-bot/intentrealtimedata", h, ""); resp.StatusCode != want {
			t.Fatalf("read %d: %d %s, want %d", i, resp.StatusCode, body, want)
		}
	}

	// A stream held open counts as a subscriber while it lasts.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/public/bot/st-bot/intentrealtimedata/stream", nil)
	for k, v := range h {
		req.Header[k] = []string{v}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	go func() { _, _ = io.Copy(io.Discard, resp.Body) }()

	var got map[string]float64
	deadline := time.Now().Add(5 * time.Second)
	for {
		got = scrape(t, s)
		if resp.StatusCode != http.StatusOK || got["intentrt_stream_subscribers"] == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	want := map[string]float64{
		`intentrt_http_requests_total{code="200",route="POST /api/public/bot/{botId}/intentrealtimedata"}`: 1,
		`intentrt_http_requests_total{code="429",route="POST /api/public/bot/{botId}/intentrealtimedata"}`: 1,
		`intentrt_http_requests_total{code="200",route="POST /api/public/bot/{botId}/sessionevents"}`:      1,
		`intentrt_http_request_duration_seconds_count{route="POST /api/public/bot/{botId}/sessionevents"}`: 1,
		`intentrt_ingest_events_total{outcome="accepted",source="http"}`:                                   1,
		`intentrt_commit_events_sum`:                1,
		`intentrt_commit_requests_count`:            1,
		`intentrt_commit_duration_seconds_count`:    1,
		`intentrt_ingest_visible_lag_seconds_count`: 1,
		`intentrt_rate_limited_total`:               1,
		`intentrt_nats_consumer_pending_messages`:   0,
		`intentrt_stream_subscribers`:               1,
	}
	if resp.StatusCode != http.StatusOK {
		t.Logf("stream answered %d: the subscriber gauge is checked at 0 only", resp.StatusCode)
		want[`intentrt_stream_subscribers`] = 0
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if got[`intentrt_ingest_visible_lag_seconds_sum`] <= 0 {
		t.Errorf("ingest-to-visible lag sum %v, want > 0", got[`intentrt_ingest_visible_lag_seconds_sum`])
	}
}
