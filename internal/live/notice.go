package live

import (
	"sync"
	"time"
)

// NoticeInterval is how often at most a bot's subscribers hear that its summary figures changed
// (docs/api.md §6: event summary.changed, at most once a second).
const NoticeInterval = time.Second

// coalescer turns the changes of each bot into summary notices: the first change after a quiet
// interval is announced at once, later ones are held until the interval since the last notice
// has passed and then announced together. So notices come at most once per interval while a
// bot's figures keep changing, and the last change of a burst is always followed by a notice —
// a page refreshing on them is never left showing stale figures. Only bots with subscribers
// have state.
type coalescer struct {
	interval time.Duration
	mu       sync.Mutex
	bots     map[botKey]*coalesced
}

type coalesced struct {
	subs  map[chan time.Time]struct{}
	last  time.Time   // when the latest notice went out
	timer *time.Timer // the trailing notice, when one is pending
}

func (c *coalescer) add(k botKey, ch chan time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bots == nil {
		c.bots = map[botKey]*coalesced{}
	}
	b := c.bots[k]
	if b == nil {
		b = &coalesced{subs: map[chan time.Time]struct{}{}}
		c.bots[k] = b
	}
	b.subs[ch] = struct{}{}
}

func (c *coalescer) remove(k botKey, ch chan time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.bots[k]
	if b == nil {
		return
	}
	delete(b.subs, ch)
	if len(b.subs) == 0 {
		if b.timer != nil {
			b.timer.Stop()
		}
		delete(c.bots, k)
	}
}

// touch records that the figures of bot k changed.
func (c *coalescer) touch(k botKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.bots[k]
	if b == nil || b.timer != nil { // nobody listens, or a pending notice will cover it
		return
	}
	now := time.Now()
	if wait := b.last.Add(c.interval).Sub(now); wait > 0 {
		b.timer = time.AfterFunc(wait, func() { c.fire(k, b) })
		return
	}
	b.notify(now)
}

func (c *coalescer) fire(k botKey, b *coalesced) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bots[k] != b { // every subscriber left meanwhile
		return
	}
	b.timer = nil
	b.notify(time.Now())
}

// notify hands each subscriber the notice without blocking: one that has not read the previous
// notice yet gets this one instead, since only the newest matters.
func (b *coalesced) notify(now time.Time) {
	b.last = now
	for ch := range b.subs {
		select {
		case <-ch:
		default:
		}
		select {
		case ch <- now:
		default:
		}
	}
}
