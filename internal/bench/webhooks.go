package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// Webhooks is the webhook phase: ingest throughput on a server with webhooks subscribed next to
// one with none, interleaved, and how long a delivery takes from the ingest's 200 to a receiver
// run by this process, every delivery awaited and counted.
type Webhooks struct {
	Hooks     int `json:"webhooks"`
	Producers int `json:"producers"`
	Batch     int `json:"batch"`

	None            Load    `json:"ingestNone"`
	With            Load    `json:"ingestWith"`
	NonePerSec      float64 `json:"noneEventsPerSec"`
	WithPerSec      float64 `json:"withEventsPerSec"`
	WithDrainedCPU  float64 `json:"withServerCpuUsPerRequestDrained"` // server CPU per request, the deliveries drained after each slice counted
	MaxBacklog      int64   `json:"maxBacklog"`                       // deliveries still pending when a slice ended (most of any slice, all webhooks)
	MaxDrainSeconds float64 `json:"maxDrainSeconds"`                  // the longest wait after a slice for every delivery

	// Latency: sessions ingested one at a time, each timed at every receiver from the moment
	// its ingest request was answered (after the commit: a lower bound) and from the moment it
	// was sent (before the commit: an upper bound).
	Samples      int     `json:"latencySamples"`
	AnsweredP50  float64 `json:"fromAnsweredP50Ms"`
	AnsweredP99  float64 `json:"fromAnsweredP99Ms"`
	SentP50      float64 `json:"fromSentP50Ms"`
	SentP99      float64 `json:"fromSentP99Ms"`
	Expected     int64   `json:"expected"`      // deliveries due: acknowledged sessions × webhooks
	Delivered    int64   `json:"delivered"`     // distinct webhook-id received, over every receiver
	Missing      int64   `json:"missing"`       // due deliveries a receiver never got
	Requests     int64   `json:"requests"`      // delivery requests received, retries included
	BadTimestamp int64   `json:"badTimestamps"` // webhook-timestamp missing or more than 5 min off
}

const (
	// The webhook phase's ingest shape: the one of the go-test benchmark in internal/e2e, so
	// that the figures compare.
	whHooks     = 5
	whProducers = 8
	whBatch     = 20
	whBot       = "st-bench-webhooks"
	whLatPrefix = "whl-"
	whLatGap    = 10 * time.Millisecond
)

// whSlice is the length of one measured slice of the webhook phase: half the other phases',
// because every session ingested with webhooks is delivered whHooks times after the slice (at
// a few thousand deliveries a second) before the next slice starts.
func (c Config) whSlice() time.Duration { return max(c.slice()/2, 100*time.Millisecond) }

// measureWebhooks runs the webhook phase on two fresh databases, one with whHooks webhooks on
// whBot created with "intentrt webhooks create", each served by its own serve (both with
// --webhooks-allow-private, so that loopback receivers are allowed).
func measureWebhooks(ctx context.Context, cfg Config, be Backend, logf func(string, ...any)) (Webhooks, error) {
	wh := Webhooks{Hooks: whHooks, Producers: whProducers, Batch: whBatch}
	start := time.Now()
	logf("webhooks: %d producers posting %d events per request to a server with %d webhooks on the bot and to one with none, "+
		"%d rounds of %s each, every delivery awaited after each slice; then one session every %s for %s",
		whProducers, whBatch, whHooks, cfg.Rounds, cfg.whSlice(), whLatGap, cfg.whSlice()*time.Duration(cfg.Rounds))
	rcv, err := newReceiver(whHooks)
	if err != nil {
		return wh, err
	}
	defer rcv.close()
	none, err := prepare(ctx, be, "wh-none", 2, 0, logf)
	if err != nil {
		return wh, err
	}
	defer none.close()
	hooked, err := prepare(ctx, be, "wh-hooks", 2, 0, logf)
	if err != nil {
		return wh, err
	}
	defer hooked.close()
	// The webhooks exist before their server starts, which reads them at once: no waiting for
	// a running server to pick them up.
	errs := make([]error, whHooks)
	var wg sync.WaitGroup
	for i := range whHooks {
		wg.Go(func() { errs[i] = createWebhook(ctx, cfg.Exe, hooked.dsn, rcv.url(i)) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return wh, err
	}
	srvNone, srvHooks, err := startWebhookServers(ctx, cfg, none.dsn, hooked.dsn)
	if err != nil {
		return wh, err
	}
	defer srvNone.Stop()
	defer srvHooks.Stop()
	p := &whPhase{cfg: cfg, rcv: rcv, wh: &wh, none: srvNone, hooks: srvHooks,
		hNone: authHeader(none.token, account), hHooks: authHeader(hooked.token, account)}
	if err := p.throughput(ctx); err != nil {
		return wh, err
	}
	if err := p.latency(ctx); err != nil {
		return wh, err
	}
	wh.Expected = p.acked * whHooks
	wh.Delivered, wh.Requests, wh.BadTimestamp = rcv.totals()
	wh.Missing = rcv.missing(p.acked)
	logf("webhooks: done in %s", time.Since(start).Round(100*time.Millisecond))
	return wh, nil
}

// startWebhookServers starts the phase's two servers side by side, both allowed to deliver to
// loopback (the receivers).
func startWebhookServers(ctx context.Context, cfg Config, noneDSN, hooksDSN string) (none, hooks *child, err error) {
	args := func(dsn string) []string {
		return []string{"serve", "--addr", "127.0.0.1:0", "--rate-limit", "0", "--webhooks-allow-private", "--db", dsn}
	}
	var errNone, errHooks error
	var wg sync.WaitGroup
	wg.Go(func() {
		none, errNone = startChild(ctx, cfg.Exe, args(noneDSN), filepath.Join(cfg.Dir, "serve-webhooks-none.log"))
	})
	wg.Go(func() {
		hooks, errHooks = startChild(ctx, cfg.Exe, args(hooksDSN), filepath.Join(cfg.Dir, "serve-webhooks.log"))
	})
	wg.Wait()
	if err = errors.Join(errNone, errHooks); err != nil {
		for _, c := range []*child{none, hooks} {
			if c != nil {
				_ = c.Stop()
			}
		}
		return nil, nil, err
	}
	return none, hooks, nil
}

// createWebhook registers a receiver as a user does: "intentrt webhooks create" on the database.
func createWebhook(ctx context.Context, exe, dsn, url string) error {
	cmd := exec.CommandContext(ctx, exe, "webhooks", "create", "--db", dsn, "--account", account, "--bot", whBot,
		"--events", "session", "--url", url)
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	var created struct {
		ID string `json:"id"`
	}
	if err == nil {
		err = json.Unmarshal(out, &created)
	}
	if err != nil || created.ID == "" {
		return fmt.Errorf("webhooks create: %v: %s", err, out)
	}
	return nil
}

// whPhase is the state of one webhook phase.
type whPhase struct {
	cfg           Config
	rcv           *receiver
	wh            *Webhooks
	none, hooks   *child
	hNone, hHooks http.Header
	acked         int64 // sessions the server with webhooks acknowledged: each is due at every receiver
}

// whTarget posts batches of fresh sessions (freshTarget: none resent by a later slice).
func whTarget(base string, h http.Header, prefix string) endpoint {
	t0 := time.Now().Add(-10 * time.Minute)
	return freshTarget(base, h, func(n int) (string, []byte) {
		first := n * whBatch
		events := make([]session.Event, whBatch)
		for k := range events {
			events[k] = completed(prefix, first+k, t0.Add(time.Duration(first+k)*time.Microsecond))
		}
		return "/api/public/bot/" + whBot + "/sessionevents", body(events)
	})
}

// throughput checks that deliveries flow, then alternates slices of ingest on the server
// without webhooks and on the one with, waiting after each of the latter until every receiver
// has every session: the next slice starts on a quiet machine, and the deliveries' CPU is
// counted beside the slice's.
func (p *whPhase) throughput(ctx context.Context) error {
	if err := p.postOne(ctx, "whp-0"); err != nil {
		return err
	}
	if _, _, done, err := p.drain(ctx, 30*time.Second); err != nil || !done {
		return fmt.Errorf("webhooks: the first session did not reach every receiver within 30 s (%v); see serve-webhooks.log", err)
	}
	trNone := whTarget(p.none.URL, p.hNone, "wn-")
	trHooks := whTarget(p.hooks.URL, p.hHooks, "ww-")
	// A short warm-up of each: connections and the runtime settle (its deliveries are drained
	// before measuring, like every slice's).
	for _, w := range []struct {
		tr  endpoint
		srv *child
	}{{trNone, p.none}, {trHooks, p.hooks}} {
		o := driveUntil(w.tr.host, w.tr.tr, whProducers, 10*time.Second, 2*whProducers)
		if w.srv == p.hooks {
			p.acked += int64(o.ok) * whBatch
		}
	}
	if _, _, _, err := p.drain(ctx, p.drainBound()); err != nil {
		return err
	}
	sNone, sHooks := series{pid: p.none.cmd.Process.Pid}, series{pid: p.hooks.cmd.Process.Pid}
	var drainCPU time.Duration
	for range p.cfg.Rounds {
		sNone.run(trNone, whProducers, p.cfg.whSlice())

		ok := sHooks.o.ok
		sHooks.run(trHooks, whProducers, p.cfg.whSlice())
		p.acked += int64(sHooks.o.ok-ok) * whBatch
		cpu0 := processCPU(p.hooks.cmd.Process.Pid)
		backlog, took, _, err := p.drain(ctx, p.drainBound())
		if err != nil {
			return err
		}
		drainCPU += processCPU(p.hooks.cmd.Process.Pid) - cpu0
		p.wh.MaxBacklog = max(p.wh.MaxBacklog, backlog)
		p.wh.MaxDrainSeconds = max(p.wh.MaxDrainSeconds, took.Seconds())
	}
	w := p.wh
	w.None, w.With = sNone.load(), sHooks.load()
	w.NonePerSec, w.WithPerSec = w.None.Throughput*whBatch, w.With.Throughput*whBatch
	if n := sHooks.o.requests; n > 0 {
		w.WithDrainedCPU = float64((sHooks.srvCPU + drainCPU).Microseconds()) / float64(n)
	}
	return nil
}

// drainBound is how long the phase waits for deliveries before it reports them missing.
func (p *whPhase) drainBound() time.Duration { return max(60*time.Second, 60*p.cfg.whSlice()) }

// drain waits until every receiver has every acknowledged session, or bound. It returns the
// deliveries pending when it started, how long they took and whether they all came; missing
// ones are not an error: the report counts them.
func (p *whPhase) drain(ctx context.Context, bound time.Duration) (backlog int64, took time.Duration, done bool, err error) {
	start := time.Now()
	backlog = p.acked*whHooks - p.rcv.delivered()
	for p.rcv.least() < p.acked && time.Since(start) < bound {
		select {
		case <-ctx.Done():
			return backlog, time.Since(start), false, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return backlog, time.Since(start), p.rcv.least() >= p.acked, nil
}

// postOne ingests one session into the server with webhooks and counts it as due.
func (p *whPhase) postOne(ctx context.Context, sid string) error {
	e := completed(whLatPrefix, 0, time.Now())
	e.SessionID, e.EventID = sid, "e-"+sid
	if _, err := fetchBody(ctx, p.hooks.URL+"/api/public/bot/"+whBot+"/sessionevents", p.hHooks, body([]session.Event{e})); err != nil {
		return fmt.Errorf("webhooks ingest: %w", err)
	}
	p.acked++
	return nil
}

// latency ingests one session every whLatGap, for as long as the throughput slices took, and
// times each at every receiver.
func (p *whPhase) latency(ctx context.Context) error {
	type times struct{ sent, answered time.Time }
	var (
		ids []string
		at  []times
	)
	for start := time.Now(); len(ids) < 10 || time.Since(start) < p.cfg.whSlice()*time.Duration(p.cfg.Rounds); {
		sid := whLatPrefix + strconv.Itoa(len(ids))
		sent := time.Now()
		if err := p.postOne(ctx, sid); err != nil {
			return err
		}
		ids, at = append(ids, sid), append(at, times{sent, time.Now()})
		time.Sleep(whLatGap)
	}
	if _, _, _, err := p.drain(ctx, p.drainBound()); err != nil {
		return err
	}
	var fromAnswered, fromSent []time.Duration
	for i, sid := range ids {
		for _, got := range p.rcv.arrivals(sid) {
			// A delivery may beat the 200 to this process: the server answers after the commit
			// and so may the worker deliver. That counts as 0.
			fromAnswered = append(fromAnswered, max(0, got.Sub(at[i].answered)))
			fromSent = append(fromSent, got.Sub(at[i].sent))
		}
	}
	w := p.wh
	w.Samples = len(ids)
	w.AnsweredP50, w.AnsweredP99 = quantiles(fromAnswered)
	w.SentP50, w.SentP99 = quantiles(fromSent)
	return nil
}

// receiver is the webhooks' HTTP receiver: one path per webhook, answering 204 at once. It
// checks only what is cheap — the webhook-id, counted once each, and that webhook-timestamp is
// within 5 minutes — and notes when each latency session first arrived.
type receiver struct {
	srv   *http.Server
	base  string
	sinks []*sink
}

type sink struct {
	mu       sync.Mutex
	ids      map[string]struct{}
	requests int64
	badTS    int64
	arrived  map[string]time.Time // latency sessions (whLatPrefix) by session id
}

func newReceiver(n int) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{base: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
	for i := range n {
		s := &sink{ids: map[string]struct{}{}, arrived: map[string]time.Time{}}
		r.sinks = append(r.sinks, s)
		mux.HandleFunc("POST /wh/"+strconv.Itoa(i), s.serve)
	}
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) url(i int) string { return r.base + "/wh/" + strconv.Itoa(i) }

func (r *receiver) close() { _ = r.srv.Close() }

var subjectKey = []byte(`"subject":"` + whLatPrefix)

func (s *sink) serve(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	b, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	id := req.Header.Get("webhook-id")
	ts, err := strconv.ParseInt(req.Header.Get("webhook-timestamp"), 10, 64)
	bad := err != nil || now.Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute
	var sid string
	if i := bytes.Index(b, subjectKey); i >= 0 {
		rest := b[i+len(`"subject":"`):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			sid = string(rest[:j])
		}
	}
	s.mu.Lock()
	s.requests++
	if bad {
		s.badTS++
	}
	if id != "" {
		s.ids[id] = struct{}{}
	}
	if _, ok := s.arrived[sid]; sid != "" && !ok {
		s.arrived[sid] = now
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// least is the fewest distinct deliveries any one receiver has.
func (r *receiver) least() int64 {
	least := int64(-1)
	for _, s := range r.sinks {
		s.mu.Lock()
		n := int64(len(s.ids))
		s.mu.Unlock()
		if least < 0 || n < least {
			least = n
		}
	}
	return max(least, 0)
}

func (r *receiver) delivered() int64 {
	d, _, _ := r.totals()
	return d
}

// totals sums the receivers' distinct deliveries, requests and bad timestamps.
func (r *receiver) totals() (delivered, requests, badTS int64) {
	for _, s := range r.sinks {
		s.mu.Lock()
		delivered += int64(len(s.ids))
		requests += s.requests
		badTS += s.badTS
		s.mu.Unlock()
	}
	return delivered, requests, badTS
}

// missing is how many of due deliveries per receiver some receiver lacks.
func (r *receiver) missing(due int64) int64 {
	var n int64
	for _, s := range r.sinks {
		s.mu.Lock()
		n += max(0, due-int64(len(s.ids)))
		s.mu.Unlock()
	}
	return n
}

// arrivals is when each receiver first had session sid.
func (r *receiver) arrivals(sid string) []time.Time {
	var out []time.Time
	for _, s := range r.sinks {
		s.mu.Lock()
		if t, ok := s.arrived[sid]; ok {
			out = append(out, t)
		}
		s.mu.Unlock()
	}
	return out
}

// The names of the phase's checks: the report prints them in rows of their own.
const (
	whCheckRatio   = "ingest, 5 webhooks ÷ none, events/s"
	whCheckLatency = "webhook: ingest sent → receiver, p99 ms"
	whCheckAll     = "webhook deliveries received ÷ due"
)

// checks are the phase's targets: throughput with webhooks at least 0.85 of without, p99 of
// delivery within 1 s (taken from the ingest request being sent, the bound that includes the
// commit) and every delivery received.
func (w Webhooks) checks() []Check {
	rel := ratio(w.WithPerSec, w.NonePerSec)
	all := ratio(float64(w.Expected-w.Missing), float64(w.Expected))
	return []Check{
		{whCheckRatio, rel, "≥ 0.85", rel >= 0.85},
		{whCheckLatency, w.SentP99, "≤ 1000", w.Samples > 0 && w.SentP99 <= 1000},
		{whCheckAll, all, "= 1", w.Expected > 0 && w.Missing == 0},
	}
}

// print writes the phase's rows of the table; row prints one with the check of that name.
func (w Webhooks) print(row func(name, ours, base, check string)) {
	row(fmt.Sprintf("ingest, %d×%d-event requests, %d webhooks", w.Producers, w.Batch, w.Hooks),
		fmt.Sprintf("%.0f events/s (%s; %.1f µs with the deliveries drained after)", w.WithPerSec, lat(w.With), w.WithDrainedCPU),
		fmt.Sprintf("no webhook: %.0f events/s (%s)", w.NonePerSec, lat(w.None)), whCheckRatio)
	row("webhook: ingest → receiver",
		fmt.Sprintf("from sent p50 %.2f ms, p99 %.2f ms; from the 200 p50 %.2f ms, p99 %.2f ms (%d sessions × %d)",
			w.SentP50, w.SentP99, w.AnsweredP50, w.AnsweredP99, w.Samples, w.Hooks), "", whCheckLatency)
	row("webhook deliveries", fmt.Sprintf("%d of %d due received (%d missing)", w.Expected-w.Missing, w.Expected, w.Missing), "", whCheckAll)
}

// whLine is the phase's summary under the table.
func (w Webhooks) line() string {
	return strings.TrimSpace(fmt.Sprintf("webhooks: %d webhooks on one bot, receivers in the bench process; %d of %d deliveries received "+
		"(distinct webhook-id; %d requests, %d bad timestamps); after each slice with webhooks at most %d deliveries were pending, drained in ≤ %.1f s",
		w.Hooks, w.Delivered, w.Expected, w.Requests, w.BadTimestamp, w.MaxBacklog, w.MaxDrainSeconds))
}
