package webhook

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// Options configure a Dispatcher. Zero durations take the defaults noted.
type Options struct {
	Store Store
	// Leaser, when set (PostgreSQL), makes a node deliver only the webhooks whose lease it
	// holds; nil (SQLite, one node) delivers every webhook.
	Leaser Leaser
	Node   string // this node's lease holder name
	// AllowPrivate lifts the guard against non-public addresses (serve --webhooks-allow-private).
	AllowPrivate bool
	Resolver     *net.Resolver // nil: the system's
	Timeout      time.Duration // one attempt's bound: 10 s
	RetryBase    time.Duration // first retry delay: 1 s, doubling each attempt
	MaxBackoff   time.Duration // longest retry delay: 10 min
	DeadAfter    time.Duration // a receiver failing this long has its oldest deliveries dead-lettered: 24 h
	Reload       time.Duration // how often webhooks are re-read and leases renewed: 2 s
	Poll         time.Duration // how often an idle worker looks at the feed without a kick: 1 s
	LeaseTTL     time.Duration // a lease not renewed for this long moves to another node: 10 s
	Observer     Observer
	Log          *slog.Logger
	// Pressure, when set, paces deliveries while ingest is saturated.
	Pressure *Pressure
}

// Observer receives what the metrics report; any func may be nil.
type Observer struct {
	// Delivery counts one attempt's outcome: "delivered", "failed" or "dead_lettered" (n is 1,
	// or the size of a dead-lettered range).
	Delivery func(webhookID, outcome string, n int64)
	// Pending reports a webhook's undelivered changes and how long the oldest has waited.
	Pending func(webhookID string, count int64, oldest time.Duration)
	// Gone says a webhook is no longer delivered by this node: forget its series.
	Gone func(webhookID string)
	// Latency is the time from a change being read from the feed to its delivery.
	Latency func(d time.Duration)
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Timeout, Timeout)
	def(&o.RetryBase, time.Second)
	def(&o.MaxBackoff, 10*time.Minute)
	def(&o.DeadAfter, 24*time.Hour)
	def(&o.Reload, 2*time.Second)
	def(&o.Poll, time.Second)
	def(&o.LeaseTTL, 10*time.Second)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Dispatcher runs one delivery worker per webhook this node delivers. Each worker has its own
// HTTP client and delivers one message at a time in cursor order, so a slow or dead receiver
// holds up only its own webhook; ingest never waits for any of them.
type Dispatcher struct {
	o       Options
	mu      sync.Mutex
	workers map[string]*running
}

type running struct {
	w      *worker
	epoch  int64
	cancel context.CancelFunc
	done   chan struct{}
}

// NewDispatcher returns a dispatcher; call Run.
func NewDispatcher(o Options) *Dispatcher {
	o.defaults()
	return &Dispatcher{o: o, workers: map[string]*running{}}
}

// Publish is called after each local commit (it is an ingest.Publisher): the workers read the
// changes from storage, so it only wakes them.
func (d *Dispatcher) Publish([]session.Change) { d.Kick() }

// Kick wakes every worker to look at the change feed now. It never blocks.
func (d *Dispatcher) Kick() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.workers {
		r.w.kick()
	}
}

// Run delivers until ctx ends, re-reading the webhooks (and renewing leases) every Reload so
// that a webhook created or revoked by the CLI is picked up within that time. On return every
// worker has stopped and saved its progress, and this node's leases are released.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(d.o.Reload)
	defer t.Stop()
	var lastLease time.Time
	for {
		d.reconcile(ctx, &lastLease)
		select {
		case <-ctx.Done():
			d.stopAll()
			if d.o.Leaser != nil {
				rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				if err := d.o.Leaser.ReleaseLeases(rctx, d.o.Node); err != nil {
					d.o.Log.Debug("release webhook leases", "err", err)
				}
			}
			return
		case <-t.C:
		}
	}
}

// reconcile makes the running workers those of the active webhooks this node holds.
func (d *Dispatcher) reconcile(ctx context.Context, lastLease *time.Time) {
	hooks, err := d.o.Store.ListWebhooks(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.o.Log.Warn("webhooks: list", "err", err)
		}
		return
	}
	want := map[string]Webhook{}
	var names []string
	for _, h := range hooks {
		if h.Active() {
			want[h.ID] = h
			names = append(names, LeaseName(h.ID))
		}
	}
	if d.o.Leaser != nil {
		now := time.Now()
		held, err := d.o.Leaser.AcquireLeases(ctx, d.o.Node, names, d.o.LeaseTTL)
		switch {
		case err == nil:
			*lastLease = now
			for id := range want {
				if !slices.Contains(held, LeaseName(id)) {
					delete(want, id)
				}
			}
		case time.Since(*lastLease) < d.o.LeaseTTL/2:
			// Storage did not answer; the leases still hold for a while: keep delivering.
			d.o.Log.Debug("webhooks: renew leases", "err", err)
		default:
			d.o.Log.Warn("webhooks: leases not renewed; delivery paused", "err", err)
			want = nil
		}
	}
	// Workers to stop leave the map under the lock and are waited for outside it: Kick, which
	// the committer calls after every commit, must never wait for a worker to wind down.
	var stopping []*running
	d.mu.Lock()
	for id, r := range d.workers {
		h, ok := want[id]
		if ok && h.Progress.Epoch == r.epoch && !isDone(r.done) {
			continue
		}
		stopping = append(stopping, r)
		delete(d.workers, id)
		if !ok && d.o.Observer.Gone != nil {
			d.o.Observer.Gone(id)
		}
	}
	d.mu.Unlock()
	for _, r := range stopping {
		r.cancel()
		<-r.done // its last save is done before a successor reads the progress
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, h := range want {
		if _, ok := d.workers[id]; ok {
			continue
		}
		w, err := newWorker(d, h)
		if err != nil {
			d.o.Log.Error("webhooks: cannot deliver", "webhook", id, "err", err)
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		r := &running{w: w, epoch: h.Progress.Epoch, cancel: cancel, done: make(chan struct{})}
		d.workers[id] = r
		go func() {
			defer close(r.done)
			w.run(wctx)
		}()
	}
}

func (d *Dispatcher) stopAll() {
	d.mu.Lock()
	all := d.workers
	d.workers = map[string]*running{}
	d.mu.Unlock()
	for _, r := range all {
		r.cancel()
	}
	for _, r := range all {
		<-r.done
	}
}

// Delivering returns the ids of the webhooks this node is delivering now.
func (d *Dispatcher) Delivering() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	for id := range d.workers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// LeaseName is the lease of a webhook's delivery.
func LeaseName(id string) string { return "webhook:" + id }

func isDone(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
