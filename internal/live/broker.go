// Package live fans committed session changes out to subscribers of one bot. It knows nothing of
// HTTP. Publishing never waits for a subscriber: one whose buffer is full is dropped (its Dropped
// channel closes) and is expected to reconnect and resume from storage by cursor.
package live

import (
	"sync"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

type botKey struct{ account, bot string }

// Broker routes changes to the subscribers of their bot.
// It also coalesces the changes of each bot into summary notices (see coalescer): every change
// it publishes is a completed or updated session, which is what moves a bot's summary figures.
type Broker struct {
	mu      sync.RWMutex
	subs    map[botKey]map[*Subscription]struct{}
	n       int
	notices coalescer
}

// NewBroker returns an empty broker.
func NewBroker() *Broker {
	return NewBrokerNoticing(NoticeInterval)
}

// NewBrokerNoticing returns an empty broker whose summary notices come at most once per
// interval (tests shorten it).
func NewBrokerNoticing(interval time.Duration) *Broker {
	return &Broker{subs: map[botKey]map[*Subscription]struct{}{}, notices: coalescer{interval: interval}}
}

// Subscription receives the changes of one bot. Its pending changes are a queue of pointers
// to changes shared by every subscriber of the bot, allocated only while changes wait: an idle
// subscriber costs a few hundred bytes (a channel of 1 024 values cost 256 KiB each), and the
// queue's memory is released as soon as the subscriber has caught up.
type Subscription struct {
	b       *Broker
	key     botKey
	mu      sync.Mutex
	queue   []*session.Change // pending, from head on; read-only, shared
	head    int
	max     int // pending changes before the subscriber counts as too slow
	ready   chan struct{}
	notices chan time.Time
	dropped chan struct{}
	once    sync.Once
}

// Ready receives a signal when changes are pending: take them with Next until it says none.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Next returns the oldest pending change, in cursor order; false when none is pending.
func (s *Subscription) Next() (session.Change, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.head == len(s.queue) {
		return session.Change{}, false
	}
	c := s.queue[s.head]
	s.queue[s.head] = nil
	s.head++
	if s.head == len(s.queue) { // caught up: give a burst's queue back
		s.head = 0
		if cap(s.queue) > 16 {
			s.queue = nil
		} else {
			s.queue = s.queue[:0]
		}
	}
	return *c, true
}

// push queues c unless max changes are pending already.
func (s *Subscription) push(c *session.Change) bool {
	s.mu.Lock()
	if len(s.queue)-s.head >= s.max {
		s.mu.Unlock()
		return false
	}
	s.queue = append(s.queue, c)
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default: // a signal is pending already
	}
	return true
}

// Notices delivers summary notices of the bot: the time each was sent, at most one per the
// broker's interval, the newest replacing one not yet read.
func (s *Subscription) Notices() <-chan time.Time { return s.notices }

// Dropped is closed when the subscriber fell too far behind and was cut off.
func (s *Subscription) Dropped() <-chan struct{} { return s.dropped }

// Close unsubscribes and lets go of whatever is still pending.
func (s *Subscription) Close() {
	s.b.remove(s, false)
	s.mu.Lock()
	s.queue, s.head = nil, 0
	s.mu.Unlock()
}

// Subscribe registers a subscriber for one bot with room for buffer pending changes.
func (b *Broker) Subscribe(account, bot string, buffer int) *Subscription {
	s := &Subscription{b: b, key: botKey{account, bot}, max: max(buffer, 1),
		ready: make(chan struct{}, 1), notices: make(chan time.Time, 1), dropped: make(chan struct{})}
	b.notices.add(s.key, s.notices)
	b.mu.Lock()
	m := b.subs[s.key]
	if m == nil {
		m = map[*Subscription]struct{}{}
		b.subs[s.key] = m
	}
	m[s] = struct{}{}
	b.n++
	b.mu.Unlock()
	return s
}

// Subscribers returns how many subscriptions are open.
func (b *Broker) Subscribers() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.n
}

func (b *Broker) remove(s *Subscription, dropped bool) {
	s.once.Do(func() {
		b.notices.remove(s.key, s.notices)
		b.mu.Lock()
		if m := b.subs[s.key]; m != nil {
			delete(m, s)
			if len(m) == 0 {
				delete(b.subs, s.key)
			}
			b.n--
		}
		b.mu.Unlock()
		if dropped {
			close(s.dropped)
		}
	})
}

// Publish delivers changes to the subscribers of their bots without ever blocking.
func (b *Broker) Publish(changes []session.Change) {
	var slow map[*Subscription]bool
	var touched botKey
	b.mu.RLock()
	for i := range changes {
		k := botKey{changes[i].State.Account, changes[i].State.Bot}
		if k != touched {
			b.notices.touch(k) // a batch is mostly one bot's: touch it once
			touched = k
		}
		subs := b.subs[k]
		if len(subs) == 0 {
			continue
		}
		c := new(session.Change) // one copy, shared by the bot's subscribers
		*c = changes[i]
		for s := range subs {
			if slow[s] {
				continue // once a change is missed, sending later ones would leave a gap
			}
			if !s.push(c) {
				if slow == nil {
					slow = map[*Subscription]bool{}
				}
				slow[s] = true
			}
		}
	}
	b.mu.RUnlock()
	for s := range slow {
		b.remove(s, true)
	}
}

// Touch tells the subscribers of a bot that its summary figures changed when no session change
// carries the news: a retention purge or an erasure took sessions away.
func (b *Broker) Touch(account, bot string) { b.notices.touch(botKey{account, bot}) }
