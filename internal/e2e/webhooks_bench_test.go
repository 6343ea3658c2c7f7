package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

// benchReceiver accepts every delivery and notes when each session (by CloudEvents subject)
// first arrived. It does not verify signatures: the benchmarks measure the sender.
type benchReceiver struct {
	srv  *httptest.Server
	n    atomic.Int64
	mu   sync.Mutex
	when map[string]time.Time
}

func newBenchReceiver(b *testing.B) *benchReceiver {
	r := &benchReceiver{when: map[string]time.Time{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		now := time.Now()
		r.n.Add(1)
		if i := bytes.Index(body, []byte(`"subject":"`)); i >= 0 {
			rest := body[i+len(`"subject":"`):]
			subject := string(rest[:bytes.IndexByte(rest, '"')])
			r.mu.Lock()
			if _, ok := r.when[subject]; !ok {
				r.when[subject] = now
			}
			r.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(r.srv.Close)
	return r
}

func benchServer(b *testing.B, db string, hooks int) (*testserver.Server, map[string]string, []*benchReceiver) {
	if db == "" {
		db = filepath.Join(b.TempDir(), "bench.db")
	}
	s := testserver.StartDB(b, db, "--webhooks-allow-private", "--log-level", "warn")
	const account = "acct-whbench"
	app := s.CreateApp(b, testserver.AppSpec{Account: account, Scopes: auth.Scopes})
	h := testserver.Headers(app.Token(b), account)
	h["Content-Type"] = "application/json"
	var rcvs []*benchReceiver
	for range hooks {
		r := newBenchReceiver(b)
		s.CLI(b, "webhooks", "create", "--account", account, "--bot", "b", "--events", "session", "--url", r.srv.URL)
		rcvs = append(rcvs, r)
	}
	time.Sleep(2500 * time.Millisecond) // the dispatcher picks the webhooks up
	return s, h, rcvs
}

// BenchmarkWebhookIngest is ingest throughput (batches of 20 sessions, 8 producers) with no
// webhook and with 5 webhooks on the bot, each to its own receiver on loopback. The target is
// sessions/s with 5 ≥ 0.85 × without. Deliveries lag behind during the run (one request per
// session per webhook); they are not waited for.
func BenchmarkWebhookIngest(b *testing.B) {
	for _, hooks := range []int{0, 5} {
		b.Run(fmt.Sprintf("webhooks=%d", hooks), func(b *testing.B) {
			s, h, rcvs := benchServer(b, "", hooks)
			var next atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			stopCPU := cpuMeter(b)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(next.Add(1))
					perfPost(b, s.URL+ingestPath("b"), h, perfSessions(fmt.Sprintf("w%d-", i), 0, 20))
				}
			})
			el := time.Since(start)
			b.StopTimer()
			stopCPU()
			b.ReportMetric(float64(next.Load()*20)/el.Seconds(), "sessions/s")
			var delivered int64
			for _, r := range rcvs {
				delivered += r.n.Load()
			}
			if hooks > 0 {
				b.ReportMetric(float64(delivered)/float64(hooks)/el.Seconds(), "delivered/s/webhook")
			}
		})
	}
}

// BenchmarkWebhookLatency is the time from an ingest request being sent (so it includes the
// commit) to the receiver getting the session, one session every 10 ms, with 5 webhooks;
// p50/p99 over every session and webhook. The target is p99 ≤ 1 s.
func BenchmarkWebhookLatency(b *testing.B) { webhookLatency(b, "") }

// BenchmarkWebhookLatencyPostgres is the same on PostgreSQL (one node).
func BenchmarkWebhookLatencyPostgres(b *testing.B) { webhookLatency(b, pgtest.DSN(b)) }

func webhookLatency(b *testing.B, db string) {
	s, h, rcvs := benchServer(b, db, 5)
	sent := map[string]time.Time{}
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("lat%d", i)
		sent[id] = time.Now()
		perfPost(b, s.URL+ingestPath("b"), h, perfSessions("lat", i, 1))
		time.Sleep(10 * time.Millisecond)
	}
	deadline := time.Now().Add(30 * time.Second)
	var lat []time.Duration
	for _, r := range rcvs {
		for {
			r.mu.Lock()
			n := len(r.when)
			r.mu.Unlock()
			if n >= b.N || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		r.mu.Lock()
		for id, t := range r.when {
			lat = append(lat, t.Sub(sent[id]))
		}
		r.mu.Unlock()
	}
	b.StopTimer()
	if len(lat) < 5*b.N {
		b.Fatalf("%d of %d deliveries arrived", len(lat), 5*b.N)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
