package webhook

import (
	"context"
	"errors"
	"time"
)

// maybeSave stores the progress if it changed and either force is set or saveEvery has passed.
func (w *worker) maybeSave(ctx context.Context, force bool) error {
	if w.p == w.saved || (!force && time.Since(w.lastSave) < saveEvery) {
		return nil
	}
	if err := w.d.o.Store.SaveWebhookProgress(ctx, w.hook.ID, w.p); err != nil {
		if errors.Is(err, ErrStale) {
			return err
		}
		if ctx.Err() == nil {
			w.d.o.Log.Warn("webhooks: save progress", "webhook", w.hook.ID, "err", err)
		}
		return nil
	}
	w.saved, w.lastSave = w.p, time.Now()
	return nil
}

// finalSave stores what was delivered before the worker ends, on a deadline of its own: the
// worker's context has ended.
func (w *worker) finalSave() {
	if w.p == w.saved {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := w.d.o.Store.SaveWebhookProgress(ctx, w.hook.ID, w.p); err != nil && !errors.Is(err, ErrStale) {
		w.d.o.Log.Warn("webhooks: save progress", "webhook", w.hook.ID, "err", err)
	}
}

// sleep waits d, or less if kicked and kickable, or until ctx ends.
func (w *worker) sleep(ctx context.Context, d time.Duration, kickable bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	var wake <-chan struct{}
	if kickable {
		wake = w.wake
	}
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-wake:
	}
}

// report hands the pending count and the oldest's age to the observer, at most once a second.
func (w *worker) report(ctx context.Context) {
	obs := w.d.o.Observer
	if obs.Pending == nil || time.Since(w.lastPend) < time.Second {
		return
	}
	w.lastPend = time.Now()
	head, err := w.d.o.Store.Head(ctx)
	if err != nil {
		return
	}
	n, err := w.d.o.Store.CountWebhookChanges(ctx, w.hook.Account, w.hook.Bot, w.p.Cursor, head)
	if err != nil {
		return
	}
	var age time.Duration
	if len(w.queue) > 0 {
		age = time.Since(w.seenAt)
	}
	obs.Pending(w.hook.ID, n, age)
}
