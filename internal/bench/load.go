package bench

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Load is what one run of the load generator measured.
type Load struct {
	Requests   uint64  `json:"requests"`
	Throughput float64 `json:"throughputPerSec"` // successful requests per second
	Success    float64 `json:"success"`          // fraction of 2xx answers
	P50Ms      float64 `json:"p50Ms"`
	P99Ms      float64 `json:"p99Ms"`
	MeanMs     float64 `json:"meanMs"`
	Errors     string  `json:"errors,omitempty"`
}

// attack drives targets with vegeta at the highest rate that concurrency workers reach (each
// worker waits for its answer before sending again, as a connection-bound client does) for d.
func attack(tr vegeta.Targeter, concurrency int, d time.Duration) Load {
	c := uint64(concurrency)
	a := vegeta.NewAttacker(
		vegeta.Workers(c), vegeta.MaxWorkers(c),
		vegeta.Connections(concurrency), vegeta.MaxConnections(concurrency),
		vegeta.KeepAlive(true), vegeta.Timeout(60*time.Second),
		vegeta.MaxBody(1<<20),
	)
	var m vegeta.Metrics
	for res := range a.Attack(tr, vegeta.ConstantPacer{}, d, "") {
		m.Add(res)
	}
	m.Close()
	l := Load{
		Requests: m.Requests, Throughput: m.Throughput, Success: m.Success,
		P50Ms: ms(m.Latencies.P50), P99Ms: ms(m.Latencies.P99), MeanMs: ms(m.Latencies.Mean),
	}
	if len(m.Errors) > 0 {
		codes := make([]string, 0, len(m.StatusCodes))
		for code, n := range m.StatusCodes {
			codes = append(codes, fmt.Sprintf("%s×%d", code, n))
		}
		sort.Strings(codes)
		l.Errors = strings.Join(codes, " ") + ": " + strings.Join(m.Errors[:min(3, len(m.Errors))], "; ")
	}
	return l
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// staticTarget sends the same request every time.
func staticTarget(method, url string, header http.Header, body []byte) vegeta.Targeter {
	return vegeta.NewStaticTargeter(vegeta.Target{Method: method, URL: url, Header: header, Body: body})
}

// counterTarget builds each request's body from a counter, so that every request carries new
// events. vegeta calls targeters from many workers at once.
func counterTarget(makeTarget func(n int) (url string, body []byte), header http.Header) vegeta.Targeter {
	var (
		mu sync.Mutex
		n  int
	)
	return func(t *vegeta.Target) error {
		mu.Lock()
		i := n
		n++
		mu.Unlock()
		t.Method, t.Header = http.MethodPost, header
		t.URL, t.Body = makeTarget(i)
		return nil
	}
}

// authHeader is the read and ingest APIs' authentication, as Kore clients send it.
func authHeader(token, account string) http.Header {
	return http.Header{"auth": {token}, "accountId": {account}, "Content-Type": {"application/json"}}
}
