package bench

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
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
	o   outcome
	dur time.Duration

	pid            int           // the server process, whose CPU time is accounted
	srvCPU, genCPU time.Duration // CPU time of the server and of this process (the generator)
}

// run drives ep at the highest rate that concurrency connections reach (each waits for its
// answer before sending again, as a connection-bound client does) for d.
func (s *series) run(ep endpoint, concurrency int, d time.Duration) {
	srv0, gen0 := processCPU(s.pid), selfCPU()
	start := time.Now()
	o := drive(ep.host, ep.tr, concurrency, d)
	s.dur += time.Since(start)
	s.srvCPU += processCPU(s.pid) - srv0
	s.genCPU += selfCPU() - gen0
	s.o.merge(o)
}

// load summarises the slices: successful requests per second of time spent driving, and the
// latency quantiles over every request.
func (s *series) load() Load {
	o := &s.o
	l := Load{Requests: o.requests, P50Ms: ms(o.quantile(0.50)), P99Ms: ms(o.quantile(0.99))}
	if o.requests > 0 {
		l.Success = float64(o.ok) / float64(o.requests)
		var sum time.Duration
		for _, d := range o.latencies {
			sum += d
		}
		l.MeanMs = ms(sum / time.Duration(max(len(o.latencies), 1)))
		l.ServerCPUUs = float64(s.srvCPU.Microseconds()) / float64(o.requests)
		l.GeneratorCPUUs = float64(s.genCPU.Microseconds()) / float64(o.requests)
	}
	if s.dur > 0 {
		l.Throughput = float64(o.ok) / s.dur.Seconds()
	}
	if o.ok < o.requests {
		codes := make([]string, 0, len(o.codes))
		for code, n := range o.codes {
			if code < 200 || code >= 300 {
				codes = append(codes, fmt.Sprintf("%d×%d", code, n))
			}
		}
		sort.Strings(codes)
		l.Errors = strings.Join(append(codes, o.errs...), "; ")
	}
	return l
}

// warm runs ep for a second, unmeasured: connections, caches and the runtime settle.
func warm(ep endpoint, concurrency int) {
	var s series
	s.run(ep, concurrency, time.Second)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// authHeader is the read and ingest APIs' authentication, as Kore clients send it.
func authHeader(token, account string) http.Header {
	return http.Header{"auth": {token}, "accountId": {account}, "Content-Type": {"application/json"}}
}
