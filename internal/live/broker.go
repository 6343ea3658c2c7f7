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

// Subscription receives the changes of one bot.
type Subscription struct {
	b       *Broker
	key     botKey
	ch      chan session.Change
	notices chan time.Time
	dropped chan struct{}
	once    sync.Once
}

// C delivers changes in cursor order.
func (s *Subscription) C() <-chan session.Change { return s.ch }

// Notices delivers summary notices of the bot: the time each was sent, at most one per the
// broker's interval, the newest replacing one not yet read.
func (s *Subscription) Notices() <-chan time.Time { return s.notices }

// Dropped is closed when the subscriber fell too far behind and was cut off.
func (s *Subscription) Dropped() <-chan struct{} { return s.dropped }

// Close unsubscribes.
func (s *Subscription) Close() { s.b.remove(s, false) }

// Subscribe registers a subscriber for one bot with room for buffer pending changes.
func (b *Broker) Subscribe(account, bot string, buffer int) *Subscription {
	s := &Subscription{b: b, key: botKey{account, bot}, ch: make(chan session.Change, buffer),
		notices: make(chan time.Time, 1), dropped: make(chan struct{})}
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
	for _, c := range changes {
		if k := (botKey{c.State.Account, c.State.Bot}); k != touched {
			b.notices.touch(k) // a batch is mostly one bot's: touch it once
			touched = k
		}
		for s := range b.subs[botKey{c.State.Account, c.State.Bot}] {
			if slow[s] {
				continue // once a change is missed, sending later ones would leave a gap
			}
			select {
			case s.ch <- c:
			default:
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
