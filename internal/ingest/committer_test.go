package ingest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/sqlite"
)

// countingApplier is a real SQLite store behind a gate: it records how many batches each Apply
// carried, can hold the first Apply until the test has queued more work behind it, and can
// refuse any transaction that holds a batch of the account "poison" (a batch that breaks the
// shared transaction).
type countingApplier struct {
	db *sqlite.Store

	mu      sync.Mutex
	calls   [][]string // accounts of the batches of each Apply
	entered chan struct{}
	gate    chan struct{}
}

var errPoison = errors.New("poisoned batch")

func (c *countingApplier) Apply(ctx context.Context, batches []session.Batch) ([]session.Result, []session.Change, error) {
	c.mu.Lock()
	first := len(c.calls) == 0
	var accts []string
	for _, b := range batches {
		accts = append(accts, b.Account)
	}
	c.calls = append(c.calls, accts)
	c.mu.Unlock()
	if first && c.gate != nil {
		close(c.entered)
		<-c.gate
	}
	for _, b := range batches {
		if b.Account == "poison" {
			return nil, nil, errPoison
		}
	}
	return c.db.Apply(ctx, batches)
}

func (c *countingApplier) callSizes() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int, len(c.calls))
	for i, a := range c.calls {
		out[i] = len(a)
	}
	return out
}

// recorder is a Publisher that keeps what it was given.
type recorder struct {
	mu      sync.Mutex
	changes []session.Change
}

func (r *recorder) Publish(ch []session.Change) {
	r.mu.Lock()
	r.changes = append(r.changes, ch...)
	r.mu.Unlock()
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ingest.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// sessionBatch is one completed session of account/bot "b" with n-1 extra intents.
func sessionBatch(account, id string, n int) session.Batch {
	start := time.Date(2024, 1, 6, 14, 0, 0, 0, time.UTC)
	events := []session.Event{{Type: session.TypeCompleted, SessionID: id, Time: start.Add(time.Minute), StartTime: start,
		EndTime: start.Add(time.Minute), Channel: "rtm", Status: session.StatusCompleted}}
	for i := 1; i < n; i++ {
		events = append(events, session.Event{Type: session.TypeIntent, SessionID: id, Time: start.Add(time.Duration(i) * time.Second), Intent: fmt.Sprintf("i%d", i)})
	}
	return session.Batch{Account: account, Bot: "b", Events: events}
}

type outcome struct {
	res session.Result
	err error
}

// gated starts a committer whose first Apply (of the batch "first") waits until released.
func gated(t *testing.T, opts Options) (*Committer, *countingApplier, chan outcome) {
	t.Helper()
	a := &countingApplier{db: openStore(t), entered: make(chan struct{}), gate: make(chan struct{})}
	c := NewCommitter(a, opts)
	t.Cleanup(c.Close)
	firstDone := make(chan outcome, 1)
	go func() {
		r, err := c.Submit(context.Background(), sessionBatch("first", "s-first", 1))
		firstDone <- outcome{r, err}
	}()
	select {
	case <-a.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first Apply did not start")
	}
	return c, a, firstDone
}

// submitAll submits batches concurrently and waits until all of them are queued.
func submitAll(t *testing.T, c *Committer, batches []session.Batch) []chan outcome {
	t.Helper()
	outs := make([]chan outcome, len(batches))
	for i, b := range batches {
		outs[i] = make(chan outcome, 1)
		go func() {
			r, err := c.Submit(context.Background(), b)
			outs[i] <- outcome{r, err}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(c.in) < len(batches) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d batches queued", len(c.in), len(batches))
		}
		time.Sleep(time.Millisecond)
	}
	return outs
}

func wait(t *testing.T, ch chan outcome) outcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("Submit did not return")
		return outcome{}
	}
}

func TestCommitterGroupsConcurrentSubmits(t *testing.T) {
	pub := &recorder{}
	c, a, first := gated(t, Options{Publisher: pub})
	var batches []session.Batch
	for i := range 5 {
		batches = append(batches, sessionBatch(fmt.Sprintf("acct-%d", i), "s", i+1))
	}
	outs := submitAll(t, c, batches)
	close(a.gate)
	if o := wait(t, first); o.err != nil || o.res.Accepted != 1 {
		t.Fatalf("first: %+v", o)
	}
	for i, ch := range outs {
		o := wait(t, ch)
		if o.err != nil || o.res.Accepted != i+1 || o.res.Duplicates != 0 {
			t.Fatalf("batch %d: %+v, want %d accepted", i, o, i+1)
		}
	}
	if got := a.callSizes(); len(got) != 2 || got[0] != 1 || got[1] != 5 {
		t.Fatalf("Apply calls carried %v batches, want [1 5]: the queued batches must share one commit", got)
	}
	t.Run("every batch is stored", func(t *testing.T) {
		for i := range 5 {
			states, err := a.db.Latest(context.Background(), session.Query{Account: fmt.Sprintf("acct-%d", i), Bot: "b", Limit: 10})
			if err != nil || len(states) != 1 || len(states[0].Intents) != i {
				t.Fatalf("acct-%d: %v %+v", i, err, states)
			}
		}
	})
	t.Run("changes are published once, in cursor order", func(t *testing.T) {
		pub.mu.Lock()
		defer pub.mu.Unlock()
		if len(pub.changes) != 6 {
			t.Fatalf("%d changes published, want 6", len(pub.changes))
		}
		for i := 1; i < len(pub.changes); i++ {
			if pub.changes[i].Seq <= pub.changes[i-1].Seq {
				t.Fatalf("cursors out of order: %d after %d", pub.changes[i].Seq, pub.changes[i-1].Seq)
			}
		}
	})
}

func TestCommitterIsolatesAFailingBatch(t *testing.T) {
	c, a, first := gated(t, Options{})
	outs := submitAll(t, c, []session.Batch{sessionBatch("good-1", "s", 1), sessionBatch("poison", "s", 1), sessionBatch("good-2", "s", 2)})
	close(a.gate)
	wait(t, first)
	results := make([]outcome, len(outs))
	for i, ch := range outs {
		results[i] = wait(t, ch)
	}
	if results[0].err != nil || results[0].res.Accepted != 1 || results[2].err != nil || results[2].res.Accepted != 2 {
		t.Fatalf("good batches: %+v %+v", results[0], results[2])
	}
	if !errors.Is(results[1].err, errPoison) {
		t.Fatalf("poisoned batch: %+v, want its error", results[1])
	}
	// One grouped attempt, then each batch alone.
	if got := a.callSizes(); len(got) != 5 || got[1] != 3 || got[2] != 1 || got[3] != 1 || got[4] != 1 {
		t.Fatalf("Apply calls carried %v batches, want [1 3 1 1 1]", got)
	}
	for _, acct := range []string{"good-1", "good-2"} {
		if states, err := a.db.Latest(context.Background(), session.Query{Account: acct, Bot: "b"}); err != nil || len(states) != 1 {
			t.Fatalf("%s: %v %+v", acct, err, states)
		}
	}
}

func TestCommitterBoundsAGroup(t *testing.T) {
	c, a, first := gated(t, Options{MaxEvents: 3})
	var batches []session.Batch
	for i := range 4 {
		batches = append(batches, sessionBatch(fmt.Sprintf("acct-%d", i), "s", 2))
	}
	outs := submitAll(t, c, batches)
	close(a.gate)
	wait(t, first)
	for _, ch := range outs {
		if o := wait(t, ch); o.err != nil {
			t.Fatal(o.err)
		}
	}
	// Batches of 2 events under a bound of 3: a group stops once it reaches the bound.
	if got := a.callSizes(); len(got) != 3 || got[1] != 2 || got[2] != 2 {
		t.Fatalf("Apply calls carried %v batches, want [1 2 2]", got)
	}
}

func TestCommitterClose(t *testing.T) {
	c, a, first := gated(t, Options{})
	outs := submitAll(t, c, []session.Batch{sessionBatch("q-1", "s", 1), sessionBatch("q-2", "s", 1)})
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	// Close waits for the queued batches, which wait for the gate.
	select {
	case <-closed:
		t.Fatal("Close returned with batches still queued")
	case <-time.After(50 * time.Millisecond):
	}
	close(a.gate)
	wait(t, first)
	for i, ch := range outs {
		if o := wait(t, ch); o.err != nil || o.res.Accepted != 1 {
			t.Fatalf("queued batch %d: %+v", i, o)
		}
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if _, err := c.Submit(context.Background(), sessionBatch("late", "s", 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Submit after Close: %v, want ErrClosed", err)
	}
	c.Close() // twice is fine
}

func TestCommitterDuplicatesAcrossSubmits(t *testing.T) {
	a := &countingApplier{db: openStore(t)}
	c := NewCommitter(a, Options{})
	t.Cleanup(c.Close)
	b := sessionBatch("acct", "s", 3)
	if r, err := c.Submit(context.Background(), b); err != nil || r.Accepted != 3 {
		t.Fatalf("first: %+v %v", r, err)
	}
	if r, err := c.Submit(context.Background(), b); err != nil || r.Accepted != 0 || r.Duplicates != 3 {
		t.Fatalf("again: %+v %v, want 0 accepted 3 duplicates", r, err)
	}
}

func TestSubmitCancelled(t *testing.T) {
	c, a, first := gated(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Submit(ctx, sessionBatch("cancelled", "s", 1))
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled Submit did not return while the writer was busy")
	}
	close(a.gate)
	wait(t, first)
}
