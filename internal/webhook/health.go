package webhook

import (
	"context"
	"net/url"
	"time"
)

// Health is how one webhook's deliveries are going, for the dashboard: what storage holds (the
// same on every node) and, when this node is the one delivering it, what its worker knows.
type Health struct {
	ID       string
	Receiver string // the URL's host: the path may carry the receiver's own token
	AllBots  bool
	Events   []Event
	// Pending counts the changes of the feed above the webhook's saved cursor (saved every 2 s
	// while delivering, so up to 2 s of deliveries may still be counted).
	Pending int64
	// Failing: the delivery after the cursor has failed Attempts times since FailingSince; the
	// next attempt is at NextAttempt.
	Attempts     int
	FailingSince time.Time
	NextAttempt  time.Time
	LastError    string
	LastErrorAt  time.Time
	DeadLettered int64
	// Local is set when this node delivers the webhook; then LastDelivered is its last 2xx
	// (zero: none since this node took it over) and OldestPending how long the oldest message
	// it holds has waited since it was read from the feed (0: none waiting).
	Local         bool
	LastDelivered time.Time
	OldestPending time.Duration
}

// Health returns the active webhooks that deliver account's bot (theirs, or all of the
// account's bots), oldest first.
func (d *Dispatcher) Health(ctx context.Context, account, bot string, now time.Time) ([]Health, error) {
	hooks, err := d.o.Store.ListWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	head, err := d.o.Store.Head(ctx)
	if err != nil {
		return nil, err
	}
	out := []Health{}
	for _, h := range hooks {
		if !h.Active() || h.Account != account || (!h.AllBots && h.Bot != bot) {
			continue
		}
		hl, err := d.health(ctx, h, head, now)
		if err != nil {
			return nil, err
		}
		out = append(out, hl)
	}
	return out, nil
}

func (d *Dispatcher) health(ctx context.Context, h Webhook, head int64, now time.Time) (Health, error) {
	p := h.Progress
	hl := Health{ID: h.ID, AllBots: h.AllBots, Events: h.Events, Attempts: p.Attempts, LastError: p.LastError,
		LastErrorAt: p.LastErrorAt, DeadLettered: p.DeadLettered}
	if u, err := url.Parse(h.URL); err == nil {
		hl.Receiver = u.Host
	}
	if p.Attempts > 0 {
		hl.FailingSince, hl.NextAttempt = p.MarkAt, p.NextAttempt
	}
	n, err := d.o.Store.CountWebhookChanges(ctx, h.Account, h.Bot, p.Cursor, head)
	if err != nil {
		return hl, err
	}
	hl.Pending = n
	d.mu.Lock()
	r := d.workers[h.ID]
	d.mu.Unlock()
	if r != nil {
		hl.Local = true
		if t := r.w.lastOK.Load(); t != 0 {
			hl.LastDelivered = time.Unix(0, t)
		}
		if t := r.w.oldestSince.Load(); t != 0 {
			hl.OldestPending = max(0, now.Sub(time.Unix(0, t)))
		}
	}
	return hl, nil
}
