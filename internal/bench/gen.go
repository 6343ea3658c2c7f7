package bench

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The load generator. A general-purpose client (net/http, vegeta on top of it) spends several
// times what the server spends on a cached read, and on a machine where both share the cores
// that cost hides the server's own. This one does the least an HTTP/1.1 client can: requests
// are bytes built before the clock starts (or by a cheap function for ingest bodies), each
// connection is kept alive and driven by one goroutine that writes a request and reads its
// answer, and the answer is parsed only as far as its status, its length (Content-Length or
// chunked) and whether the server closes the connection.

// target gives the bytes of the n-th request of a run. It is called from many goroutines.
type target func(n int) []byte

// request is one HTTP/1.1 request, rendered once.
type request struct {
	Method, URL string
	Header      http.Header
	Body        []byte
}

// render writes r as HTTP/1.1 bytes, Host and Content-Length included, keep-alive.
func (r request) render() ([]byte, string, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, "", err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", r.Method, u.RequestURI(), u.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(r.Body))
	b.Write(r.Body)
	return b.Bytes(), u.Host, nil
}

// endpoint is where a run's requests go and how each is built.
type endpoint struct {
	host string
	tr   target
}

// staticTarget sends the same request every time: its bytes are built once.
func staticTarget(method, rawURL string, header http.Header, body []byte) endpoint {
	b, host, err := request{method, rawURL, header, body}.render()
	if err != nil {
		panic(err) // the bench builds its URLs itself
	}
	return endpoint{host, func(int) []byte { return b }}
}

// counterTarget builds each request from a counter, so that every ingest request carries new
// events. makeTarget returns the path (the host is the server's) and the body.
func counterTarget(rawURL string, header http.Header, makeTarget func(n int) (path string, body []byte)) endpoint {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	var head bytes.Buffer
	for k, vs := range header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	return endpoint{u.Host, func(n int) []byte {
		path, body := makeTarget(n)
		b := make([]byte, 0, 128+head.Len()+len(body))
		b = append(b, "POST "...)
		b = append(b, path...)
		b = append(b, " HTTP/1.1\r\nHost: "...)
		b = append(b, u.Host...)
		b = append(b, "\r\n"...)
		b = append(b, head.Bytes()...)
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n\r\n"...)
		return append(b, body...)
	}}
}

// freshTarget is counterTarget whose count runs on across every run of the endpoint (warm-up,
// every slice): the generator numbers each run's requests from 0, and an ingest request that
// resent an earlier run's events would measure duplicate handling instead of ingest.
func freshTarget(rawURL string, header http.Header, makeTarget func(n int) (path string, body []byte)) endpoint {
	var next atomic.Int64
	return counterTarget(rawURL, header, func(int) (string, []byte) { return makeTarget(int(next.Add(1) - 1)) })
}

// outcome is what one run of the generator saw.
type outcome struct {
	requests, ok uint64
	latencies    []time.Duration
	codes        map[int]uint64
	errs         []string
}

func (o *outcome) merge(p *outcome) {
	o.requests += p.requests
	o.ok += p.ok
	o.latencies = append(o.latencies, p.latencies...)
	if o.codes == nil {
		o.codes = map[int]uint64{}
	}
	for c, n := range p.codes {
		o.codes[c] += n
	}
	if len(o.errs) < 5 {
		o.errs = append(o.errs, p.errs[:min(len(p.errs), 5-len(o.errs))]...)
	}
}

// quantile of the latencies; sorts them.
func (o *outcome) quantile(q float64) time.Duration {
	if len(o.latencies) == 0 {
		return 0
	}
	slices.Sort(o.latencies)
	return o.latencies[min(int(q*float64(len(o.latencies))), len(o.latencies)-1)]
}

// drive sends tr's requests to host on conns keep-alive connections, each waiting for its
// answer before sending the next, for d.
func drive(host string, tr target, conns int, d time.Duration) *outcome {
	return driveUntil(host, tr, conns, d, -1)
}

// driveUntil is drive that also stops after count requests (count < 0: no bound).
func driveUntil(host string, tr target, conns int, d time.Duration, count int64) *outcome {
	var (
		wg      sync.WaitGroup
		counter atomic.Int64
		mu      sync.Mutex
		total   = &outcome{codes: map[int]uint64{}}
	)
	deadline := time.Now().Add(d)
	for range conns {
		wg.Go(func() {
			o := worker(host, tr, &counter, deadline, count)
			mu.Lock()
			total.merge(o)
			mu.Unlock()
		})
	}
	wg.Wait()
	return total
}

// worker is one connection's loop. A failed connection is redialled.
func worker(host string, tr target, counter *atomic.Int64, deadline time.Time, count int64) *outcome {
	o := &outcome{codes: map[int]uint64{}, latencies: make([]time.Duration, 0, 4096)}
	var c *conn
	for time.Now().Before(deadline) {
		i := counter.Add(1) - 1
		if count >= 0 && i >= count {
			break
		}
		if c == nil {
			var err error
			if c, err = dial(host); err != nil {
				o.requests++
				o.errs = append(o.errs, err.Error())
				time.Sleep(10 * time.Millisecond)
				continue
			}
		}
		req := tr(int(i))
		start := time.Now()
		code, keep, err := c.roundTrip(req)
		o.latencies = append(o.latencies, time.Since(start))
		o.requests++
		if err != nil {
			o.errs = append(o.errs, err.Error())
			c.close()
			c = nil
			continue
		}
		o.codes[code]++
		if code >= 200 && code < 300 {
			o.ok++
		}
		if !keep {
			c.close()
			c = nil
		}
	}
	if c != nil {
		c.close()
	}
	return o
}
