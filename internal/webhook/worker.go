package webhook

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"
)

// page is how many changes a worker reads from the feed at once.
const page = 200

// saveEvery is how often a worker that is delivering successfully saves its cursor. Saving
// once per message would put a write per delivery per webhook on the store ingest also writes
// to; after a crash at most this much is delivered again, which at-least-once allows.
const saveEvery = 2 * time.Second

// worker delivers one webhook's messages in cursor order.
type worker struct {
	d      *Dispatcher
	hook   Webhook
	p      Progress
	key    []byte
	client *http.Client
	wake   chan struct{}

	queue    []Message
	seenAt   time.Time // when the messages in queue were read from the feed
	through  int64     // the cursor the feed was read up to; Cursor moves there once queue is empty
	saved    Progress  // what storage holds
	lastSave time.Time
	lastPend time.Time

	// What Health shows of this node's delivery, read from other goroutines (unix nanoseconds,
	// 0 for none): the last 2xx, and when the oldest message still queued was read.
	lastOK      atomic.Int64
	oldestSince atomic.Int64
}

func newWorker(d *Dispatcher, h Webhook) (*worker, error) {
	key, err := SecretKey(h.Secret)
	if err != nil {
		return nil, err
	}
	return &worker{d: d, hook: h, p: h.Progress, saved: h.Progress, key: key,
		client: NewClient(d.o.AllowPrivate, d.o.Resolver, d.o.Timeout), wake: make(chan struct{}, 1), through: h.Progress.Cursor}, nil
}

func (w *worker) kick() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run delivers until ctx ends or its progress turns out stale, then saves what it delivered.
func (w *worker) run(ctx context.Context) {
	defer w.client.CloseIdleConnections()
	defer w.finalSave()
	for ctx.Err() == nil {
		if len(w.queue) == 0 {
			if w.through > w.p.Cursor {
				w.p.Cursor = w.through
			}
			if w.maybeSave(ctx, false) != nil {
				return
			}
			ok, err := w.fill(ctx)
			if err != nil && ctx.Err() == nil {
				w.d.o.Log.Warn("webhooks: read the change feed", "webhook", w.hook.ID, "err", err)
			}
			if !ok {
				w.report(ctx)
				w.sleep(ctx, w.d.o.Poll, true)
				continue
			}
		}
		if w.d.o.Pressure.Saturated() {
			w.sleep(ctx, Pace, false)
		}
		if wait := time.Until(w.p.NextAttempt); wait > 0 {
			w.report(ctx)
			w.sleep(ctx, wait, false)
			continue
		}
		if err := w.deliverHead(ctx); err != nil {
			return
		}
		w.report(ctx)
	}
}

// fill reads what is next to deliver into the queue: alert events first (they are rare and
// urgent), then the next page of the change feed. It returns false when there is nothing.
func (w *worker) fill(ctx context.Context) (bool, error) {
	st := w.d.o.Store
	if w.hook.Wants(EventAlert) {
		evs, err := st.AlertEventsSince(ctx, w.hook.Account, w.hook.Bot, w.p.AlertCursor, page)
		if err != nil {
			return false, err
		}
		for _, ev := range evs {
			w.queue = append(w.queue, AlertMessage(w.hook.ID, ev))
		}
	}
	head, err := st.Head(ctx)
	if err != nil {
		return len(w.queue) > 0, err
	}
	if head > w.p.Cursor {
		changes, err := st.WebhookChanges(ctx, w.hook.Account, w.hook.Bot, w.p.Cursor, head, page)
		if err != nil {
			return len(w.queue) > 0, err
		}
		w.through = head
		if len(changes) == page {
			w.through = changes[len(changes)-1].Seq
		}
		for _, ch := range changes {
			if w.hook.Wants(Event(ch.Kind)) {
				w.queue = append(w.queue, SessionMessage(w.hook.ID, ch))
			}
		}
	}
	w.seenAt = time.Now()
	w.noteQueue()
	if len(w.queue) == 0 {
		w.p.Cursor = max(w.p.Cursor, w.through) // nothing this webhook subscribes to: move past it
		return false, nil
	}
	return true, nil
}

// noteQueue publishes, for Health, since when the head of the queue has waited: the queue is
// filled only when empty, so every message in it was read at seenAt.
func (w *worker) noteQueue() {
	if len(w.queue) == 0 {
		w.oldestSince.Store(0)
	} else {
		w.oldestSince.Store(w.seenAt.UnixNano())
	}
}

// deliverHead attempts the first queued message. It returns an error only when the worker must
// stop (its progress is stale).
func (w *worker) deliverHead(ctx context.Context) error {
	m := w.queue[0]
	err := w.attempt(ctx, m)
	if ctx.Err() != nil {
		return nil // shutting down: not the receiver's failure; the loop ends
	}
	obs := w.d.o.Observer
	if err == nil {
		if obs.Delivery != nil {
			obs.Delivery(w.hook.ID, "delivered", 1)
		}
		if obs.Latency != nil {
			obs.Latency(time.Since(w.seenAt))
		}
		w.queue = w.queue[1:]
		w.lastOK.Store(time.Now().UnixNano())
		w.noteQueue()
		if m.Alert {
			w.p.AlertCursor = m.Cursor
		} else {
			w.p.Cursor = m.Cursor
		}
		w.p.Attempts, w.p.NextAttempt, w.p.MarkAt, w.p.MarkHead = 0, time.Time{}, time.Time{}, 0
		return w.maybeSave(ctx, false)
	}
	if obs.Delivery != nil {
		obs.Delivery(w.hook.ID, "failed", 1)
	}
	return w.failed(ctx, err)
}

// failed schedules the next attempt with exponential backoff and jitter, and once the receiver
// has failed for DeadAfter, dead-letters what has waited at least that long.
func (w *worker) failed(ctx context.Context, err error) error {
	now := time.Now()
	w.p.Attempts++
	w.p.LastError, w.p.LastErrorAt = err.Error(), now
	if w.p.MarkAt.IsZero() {
		// Everything read so far was committed before now.
		w.p.MarkAt, w.p.MarkHead = now, w.through
	} else if now.Sub(w.p.MarkAt) >= w.d.o.DeadAfter {
		return w.deadLetter(ctx, now)
	}
	w.p.NextAttempt = now.Add(backoff(w.p.Attempts, w.d.o.RetryBase, w.d.o.MaxBackoff))
	return w.maybeSave(ctx, true)
}

// deadLetter gives up on the changes up to MarkHead: each was committed before MarkAt, so it
// has waited at least DeadAfter, during which the receiver was retried and kept failing.
// Later changes get their own DeadAfter, counted from now.
func (w *worker) deadLetter(ctx context.Context, now time.Time) error {
	if w.queue[0].Alert {
		return w.deadLetterAlert(ctx, now)
	}
	if w.p.MarkHead <= w.p.Cursor {
		// The mark covers nothing still pending (it never should): take a new one, never move
		// the cursor back.
		w.p.MarkAt, w.p.MarkHead = now, max(w.through, w.p.Cursor)
		w.p.NextAttempt = now.Add(w.d.o.RetryBase)
		return w.maybeSave(ctx, true)
	}
	st := w.d.o.Store
	dl := DeadLetter{Stream: "sessions", After: w.p.Cursor, Through: w.p.MarkHead, At: now, Error: w.p.LastError}
	n, err := st.CountWebhookChanges(ctx, w.hook.Account, w.hook.Bot, dl.After, dl.Through)
	if err != nil {
		w.p.NextAttempt = now.Add(w.d.o.RetryBase)
		return nil // try again at the next failure
	}
	dl.Count = n
	next := w.p
	next.Cursor = dl.Through
	next.DeadLettered += n
	next.Attempts, next.NextAttempt = 0, time.Time{}
	next.MarkAt, next.MarkHead = now, max(w.through, dl.Through)
	if err := st.DeadLetterWebhook(ctx, w.hook.ID, dl, next); err != nil {
		if errors.Is(err, ErrStale) {
			return err
		}
		w.p.NextAttempt = now.Add(w.d.o.RetryBase)
		return nil
	}
	w.p, w.saved, w.lastSave = next, next, now
	kept := w.queue[:0]
	for _, m := range w.queue {
		if m.Alert || m.Cursor > dl.Through {
			kept = append(kept, m)
		}
	}
	w.queue = kept
	w.noteQueue()
	if w.through < next.Cursor {
		w.through = next.Cursor
	}
	w.d.o.Log.Warn("webhooks: deliveries dead-lettered", "webhook", w.hook.ID, "count", n, "after", dl.After, "through", dl.Through)
	if obs := w.d.o.Observer; obs.Delivery != nil {
		obs.Delivery(w.hook.ID, "dead_lettered", n)
	}
	return nil
}

// deadLetterAlert gives up on the alert at the head of the queue, which has been retried for
// DeadAfter.
func (w *worker) deadLetterAlert(ctx context.Context, now time.Time) error {
	m := w.queue[0]
	dl := DeadLetter{Stream: "alerts", After: w.p.AlertCursor, Through: m.Cursor, Count: 1, At: now, Error: w.p.LastError}
	next := w.p
	next.AlertCursor = m.Cursor
	next.DeadLettered++
	next.Attempts, next.NextAttempt = 0, time.Time{}
	next.MarkAt, next.MarkHead = now, max(w.through, w.p.Cursor)
	if err := w.d.o.Store.DeadLetterWebhook(ctx, w.hook.ID, dl, next); err != nil {
		if errors.Is(err, ErrStale) {
			return err
		}
		w.p.NextAttempt = now.Add(w.d.o.RetryBase)
		return nil
	}
	w.p, w.saved, w.lastSave = next, next, now
	w.queue = w.queue[1:]
	w.noteQueue()
	w.d.o.Log.Warn("webhooks: alert delivery dead-lettered", "webhook", w.hook.ID, "alert", m.Cursor)
	if obs := w.d.o.Observer; obs.Delivery != nil {
		obs.Delivery(w.hook.ID, "dead_lettered", 1)
	}
	return nil
}

// backoff is the delay before attempt n+1: base doubling per attempt up to ceil, then a random
// point in its upper half, so that receivers coming back are not hit by every sender at once.
func backoff(n int, base, ceil time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < ceil; i++ {
		d *= 2
	}
	d = min(d, ceil)
	return d/2 + rand.N(d/2+1)
}
