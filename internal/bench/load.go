package bench

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
	// CPU time per request, from /proc: what the server spent, and what the generator (this
	// process) spent on the same 2 cores.
	ServerCPUUs    float64 `json:"serverCpuUsPerRequest"`
	GeneratorCPUUs float64 `json:"generatorCpuUsPerRequest"`
}

// processCPU is the user and system CPU time of process pid so far (0 when unknown).
func processCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on Linux.
const clockTicks = 100

// selfCPU is this process's user and system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// series accumulates the slices of one measured target. The bench interleaves short slices of
// the things it compares (ceiling, read on 1 M, read on 1 k, …) instead of running each once:
// on a machine whose other load varies, each side then sees the same conditions.
type series struct {
	m   vegeta.Metrics
	ok  uint64
	dur time.Duration

	pid            int           // the server process, whose CPU time is accounted
	srvCPU, genCPU time.Duration // CPU time of the server and of this process (the generator)
}

// run drives tr with vegeta at the highest rate that concurrency workers reach (each worker
// waits for its answer before sending again, as a connection-bound client does) for d.
func (s *series) run(tr vegeta.Targeter, concurrency int, d time.Duration) {
	c := uint64(concurrency)
	a := vegeta.NewAttacker(
		vegeta.Workers(c), vegeta.MaxWorkers(c),
		vegeta.Connections(concurrency), vegeta.MaxConnections(concurrency),
		vegeta.KeepAlive(true), vegeta.Timeout(60*time.Second),
		vegeta.MaxBody(1<<20),
	)
	srv0, gen0 := processCPU(s.pid), selfCPU()
	start := time.Now()
	for res := range a.Attack(tr, vegeta.ConstantPacer{}, d, "") {
		s.m.Add(res)
		if res.Code >= 200 && res.Code < 300 {
			s.ok++
		}
	}
	s.dur += time.Since(start)
	s.srvCPU += processCPU(s.pid) - srv0
	s.genCPU += selfCPU() - gen0
}

// load summarises the slices: successful requests per second of time spent attacking, and the
// latency quantiles over every request.
func (s *series) load() Load {
	s.m.Close()
	l := Load{
		Requests: s.m.Requests, Success: s.m.Success,
		P50Ms: ms(s.m.Latencies.P50), P99Ms: ms(s.m.Latencies.P99), MeanMs: ms(s.m.Latencies.Mean),
	}
	if s.dur > 0 {
		l.Throughput = float64(s.ok) / s.dur.Seconds()
	}
	if s.m.Requests > 0 {
		l.ServerCPUUs = float64(s.srvCPU.Microseconds()) / float64(s.m.Requests)
		l.GeneratorCPUUs = float64(s.genCPU.Microseconds()) / float64(s.m.Requests)
	}
	if len(s.m.Errors) > 0 {
		codes := make([]string, 0, len(s.m.StatusCodes))
		for code, n := range s.m.StatusCodes {
			codes = append(codes, fmt.Sprintf("%s×%d", code, n))
		}
		sort.Strings(codes)
		l.Errors = strings.Join(codes, " ") + ": " + strings.Join(s.m.Errors[:min(3, len(s.m.Errors))], "; ")
	}
	return l
}

// warm runs tr for a second, unmeasured: connections, caches and the runtime settle.
func warm(tr vegeta.Targeter, concurrency int) {
	var s series
	s.run(tr, concurrency, time.Second)
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
