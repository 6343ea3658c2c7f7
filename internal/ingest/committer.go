// Package ingest turns validated event batches into durable, acknowledged writes. Its Committer
// is a group commit: one writer takes every batch that has queued up while the previous commit
// was syncing, commits them in one transaction (one fsync), then acknowledges all of them. Many
// concurrent producers thus share each fsync instead of each paying for one.
package ingest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

// ErrClosed is returned for batches submitted after shutdown began.
var ErrClosed = errors.New("ingest is shutting down")

// Applier is the storage the committer writes to.
type Applier interface {
	Apply(ctx context.Context, batches []session.Batch) ([]session.Result, []session.Change, error)
}

// Publisher learns of every change once it is committed (the live stream).
type Publisher interface {
	Publish(changes []session.Change)
}

// Observer is told of each commit, for metrics. Any field may be nil.
type Observer struct {
	Commit func(batches, events int, took time.Duration, err error)
	// Visible is told, for each batch committed, how long it took from Submit to its changes
	// being committed and published: the ingest-to-visible lag.
	Visible func(lag time.Duration)
}

// Redactor rewrites a batch before it is queued: the account's personal-data policy. It is
// the committer's first step so that no path into storage (HTTP, NATS, the demo) can skip it.
type Redactor interface {
	Redact(ctx context.Context, b session.Batch) (session.Batch, error)
}

// Options tune the committer.
type Options struct {
	// Redactor, when set, applies the personal-data policy to every batch before it is stored,
	// before its idempotency keys are derived and before its changes are published.
	Redactor Redactor
	// MaxEvents bounds the events of one group commit, so one transaction stays short.
	MaxEvents int
	Publisher Publisher
	Observer  Observer
}

type request struct {
	batch session.Batch
	reply chan reply
	at    time.Time // when Submit was called
}

type reply struct {
	res session.Result
	err error
}

// Committer is the single writer of ingested events.
type Committer struct {
	db   Applier
	opts Options
	in   chan request

	mu     sync.RWMutex // guards closed against sends on in
	closed bool
	done   chan struct{}
}

// NewCommitter starts the writer goroutine. Call Close to drain and stop it.
func NewCommitter(db Applier, opts Options) *Committer {
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = 20_000
	}
	c := &Committer{db: db, opts: opts, in: make(chan request, 1024), done: make(chan struct{})}
	go c.run()
	return c
}

// Submit stores the batch and returns once it is durably committed. If ctx ends first the
// batch may still be committed: producers retry, and idempotency makes that harmless.
func (c *Committer) Submit(ctx context.Context, b session.Batch) (session.Result, error) {
	if c.opts.Redactor != nil {
		// In the producer's goroutine, not the writer's: a policy lookup must not hold up the
		// group commit of other producers.
		var err error
		if b, err = c.opts.Redactor.Redact(ctx, b); err != nil {
			return session.Result{}, err
		}
	}
	req := request{batch: b, reply: make(chan reply, 1), at: time.Now()}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return session.Result{}, ErrClosed
	}
	select {
	case c.in <- req:
		c.mu.RUnlock()
	case <-ctx.Done():
		c.mu.RUnlock()
		return session.Result{}, ctx.Err()
	}
	select {
	case r := <-req.reply:
		return r.res, r.err
	case <-ctx.Done():
		return session.Result{}, ctx.Err()
	}
}

// Close stops taking batches, commits every batch already queued, and returns when done.
func (c *Committer) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.in)
	}
	c.mu.Unlock()
	<-c.done
}

func (c *Committer) run() {
	defer close(c.done)
	for first := range c.in {
		group := []request{first}
		events := len(first.batch.Events)
	fill:
		for events < c.opts.MaxEvents {
			select {
			case r, ok := <-c.in:
				if !ok {
					break fill
				}
				group = append(group, r)
				events += len(r.batch.Events)
			default:
				break fill
			}
		}
		c.commit(group, events)
	}
}

func (c *Committer) commit(group []request, events int) {
	batches := make([]session.Batch, len(group))
	for i, r := range group {
		batches[i] = r.batch
	}
	// The writer's context is not any one producer's: a producer that hangs up must not abort
	// the transaction that carries other producers' events.
	start := time.Now()
	results, changes, err := c.db.Apply(context.Background(), batches)
	if c.opts.Observer.Commit != nil {
		c.opts.Observer.Commit(len(batches), events, time.Since(start), err)
	}
	if err != nil && len(group) > 1 && !errors.Is(err, store.ErrUnavailable) {
		// Something in one batch broke the shared transaction; commit each alone so the others
		// are not refused for it.
		for _, r := range group {
			c.commit([]request{r}, len(r.batch.Events))
		}
		return
	}
	if err == nil && c.opts.Publisher != nil && len(changes) > 0 {
		c.opts.Publisher.Publish(changes)
	}
	if err == nil && c.opts.Observer.Visible != nil {
		for _, r := range group {
			c.opts.Observer.Visible(time.Since(r.at))
		}
	}
	for i, r := range group {
		if err != nil {
			r.reply <- reply{err: err}
			continue
		}
		r.reply <- reply{res: results[i]}
	}
}
