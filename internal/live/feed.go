package live

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// ChangeSource is storage's change feed: every completed or updated session by cursor.
type ChangeSource interface {
	ChangesSince(ctx context.Context, account, bot string, after int64, limit int) ([]session.Change, error)
	Head(ctx context.Context) (int64, error)
}

// Publisher receives changes in cursor order (a Broker).
type Publisher interface {
	Publish(changes []session.Change)
}

// feedPage is how many changes one read of the feed takes.
const feedPage = 1000

// Feed tails storage's change feed and publishes every change, once and in cursor order, to the
// broker of this node. With several nodes on one database, it is how a subscriber on one node
// receives the sessions ingested through another: each node's committer only wakes its feed
// (Publish), storage notifications of other nodes' commits wake it too (Kick), and a poll every
// interval catches whatever a lost notification would have missed. Because storage hands out
// cursors in commit order, reading "above the last cursor published" can never skip one.
type Feed struct {
	src  ChangeSource
	pub  Publisher
	poll time.Duration
	log  *slog.Logger
	wake chan struct{}
	last atomic.Int64
}

// NewFeed returns a feed from src to pub that polls every poll (1 s when zero). Call Run.
func NewFeed(src ChangeSource, pub Publisher, poll time.Duration, log *slog.Logger) *Feed {
	if poll <= 0 {
		poll = time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Feed{src: src, pub: pub, poll: poll, log: log, wake: make(chan struct{}, 1)}
}

// Publish is called by the local committer after a commit; the changes themselves are read back
// from storage so that they interleave in cursor order with other nodes' changes.
func (f *Feed) Publish([]session.Change) { f.Kick() }

// Kick makes the feed read storage now. It never blocks.
func (f *Feed) Kick() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Last returns the cursor of the last change published.
func (f *Feed) Last() int64 { return f.last.Load() }

// Start sets the feed's starting point to storage's current head: subscribers of this node are
// told of changes committed from now on (a stream replays older ones from storage itself). It
// retries until storage answers or ctx ends.
func (f *Feed) Start(ctx context.Context) error {
	t := time.NewTicker(f.poll)
	defer t.Stop()
	for {
		head, err := f.src.Head(ctx)
		if err == nil {
			f.last.Store(head)
			return nil
		}
		f.log.Warn("change feed: read head", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Run publishes changes until ctx ends. Call Start first.
func (f *Feed) Run(ctx context.Context) {
	t := time.NewTicker(f.poll)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		case <-t.C:
		}
		err := f.drain(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			failing = true // log the first failure of a streak, not one a second
			f.log.Warn("change feed: storage unavailable; retrying", "err", err)
		case err == nil && failing:
			failing = false
			f.log.Info("change feed: storage answers again", "cursor", f.Last())
		}
	}
}

// held, while set, is a channel every feed of the process waits on before reading storage.
var held atomic.Pointer[chan struct{}]

// HoldFeedsForTest holds back every change feed of the process (their reads of storage wait)
// until release is called. Only tests call it, to show what reaches a node of a shared
// database by other paths than its feed: its read cache's drop on another node's notification.
func HoldFeedsForTest() (release func()) {
	gate := make(chan struct{})
	held.Store(&gate)
	return func() {
		if held.CompareAndSwap(&gate, nil) {
			close(gate)
		}
	}
}

// drain publishes everything above the last cursor, a page at a time.
func (f *Feed) drain(ctx context.Context) error {
	if gate := held.Load(); gate != nil {
		select {
		case <-*gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		changes, err := f.src.ChangesSince(ctx, "", "", f.last.Load(), feedPage)
		if err != nil {
			return err
		}
		if len(changes) > 0 {
			f.pub.Publish(changes)
			f.last.Store(changes[len(changes)-1].Seq)
		}
		if len(changes) < feedPage {
			return nil
		}
	}
}
