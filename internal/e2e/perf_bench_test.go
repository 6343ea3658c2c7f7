package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/testserver"
)

// The Benchmark* functions below drive the whole server in-process (through cli.Run, like the
// binary) so that "go test -bench Perf -cpuprofile" profiles the real hot paths. They measure;
// they assert nothing about speed. The full comparison against baselines is "intentrt bench".

// perfSessions renders n session.completed events of bot sessions prefix-0 … prefix-(n-1).
func perfSessions(prefix string, from, n int) string {
	var b strings.Builder
	b.WriteByte('[')
	base := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for i := from; i < from+n; i++ {
		if i > from {
			b.WriteByte(',')
		}
		end := base.Add(time.Duration(i) * time.Second)
		fmt.Fprintf(&b, `{"type":"session.completed","eventId":"%s%d","sessionId":"%s%d","channel":"korevg","ANI":"+12605554468","DNI":"+18005550100","userId":"u-%d","startTime":%q,"endTime":%q,"status":"completed","deflectedTo":null,"intents":["Book a Flight","Check Balance"]}`,
			prefix, i, prefix, i, i, end.Add(-3*time.Minute).Format(time.RFC3339Nano), end.Format(time.RFC3339Nano))
	}
	b.WriteByte(']')
	return b.String()
}

// cpuMeter reports the process's CPU time (server and client, user and system) per op from now
// until the returned function is called: on a machine shared with other work, wall-clock ns/op
// says more about the neighbours than about the code, CPU time much less so.
func cpuMeter(b *testing.B) (stop func()) {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() { b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op") }
}

// perfClient is an HTTP client with enough idle connections for RunParallel.
var perfClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

func perfPost(b *testing.B, url string, h map[string]string, body string) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(http.MethodPost, url, rd)
	for k, v := range h {
		req.Header[k] = []string{v}
	}
	resp, err := perfClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %d", url, resp.StatusCode)
	}
}

// BenchmarkPerfReadAPI is the read API with a verified JWT returning 25 of 2 000 sessions.
func BenchmarkPerfReadAPI(b *testing.B) {
	s := testserver.Start(b)
	app := s.CreateApp(b, testserver.AppSpec{Account: "acct"})
	tok := app.Token(b)
	s.Ingest(b, tok, "acct", "st-bot", perfSessions("s-", 0, 2000))
	h := testserver.Headers(tok, "acct")
	// Kore's clients reuse one token; a jti would make it single-use only for enforce-JTI apps.
	url := s.URL + "/api/public/bot/st-bot/intentrealtimedata"
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	stop := cpuMeter(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			perfPost(b, url, h, "")
		}
	})
	stop()
}

// BenchmarkPerfIngestOne is one session.completed per request from many producers, durable.
func BenchmarkPerfIngestOne(b *testing.B) {
	s := testserver.Start(b)
	app := s.CreateApp(b, testserver.AppSpec{Account: "acct"})
	h := testserver.Headers(app.Token(b), "acct")
	h["Content-Type"] = "application/json"
	url := s.URL + "/api/public/bot/st-bot/sessionevents"
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	stop := cpuMeter(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			perfPost(b, url, h, perfSessions("o-", int(n.Add(1)), 1))
		}
	})
	stop()
}

// BenchmarkPerfIngestBatch is 1 000 events per request, durable; one op is one request.
func BenchmarkPerfIngestBatch(b *testing.B) {
	s := testserver.Start(b)
	app := s.CreateApp(b, testserver.AppSpec{Account: "acct"})
	h := testserver.Headers(app.Token(b), "acct")
	h["Content-Type"] = "application/json"
	url := s.URL + "/api/public/bot/st-bot/sessionevents"
	bodies := make([]string, b.N)
	for i := range bodies {
		bodies[i] = perfSessions("b-", i*1000, 1000)
	}
	b.ResetTimer()
	stop := cpuMeter(b)
	for i := range b.N {
		perfPost(b, url, h, bodies[i])
	}
	stop()
}
