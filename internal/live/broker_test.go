package live

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

func change(account, bot string, seq int64) session.Change {
	return session.Change{Seq: seq, Kind: session.ChangeCompleted,
		State: session.State{Key: session.Key{Account: account, Bot: bot, SessionID: "s"}, Seq: seq}}
}

// publish runs Publish and fails the test if it does not return: Publish must never wait for a
// subscriber.
func publish(t *testing.T, b *Broker, changes ...session.Change) {
	t.Helper()
	done := make(chan struct{})
	go func() { b.Publish(changes); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked")
	}
}

// drain takes everything buffered in the subscription without waiting.
func drain(s *Subscription) []int64 {
	var seqs []int64
	for {
		c, ok := s.Next()
		if !ok {
			return seqs
		}
		seqs = append(seqs, c.Seq)
	}
}

func dropped(s *Subscription) bool {
	select {
	case <-s.Dropped():
		return true
	default:
		return false
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBrokerRoutesByBot(t *testing.T) {
	b := NewBroker()
	ab := b.Subscribe("a", "bot", 10)
	ab2 := b.Subscribe("a", "bot", 10)
	other := b.Subscribe("a", "other", 10)
	otherAcct := b.Subscribe("b", "bot", 10)
	if n := b.Subscribers(); n != 4 {
		t.Fatalf("%d subscribers, want 4", n)
	}
	publish(t, b, change("a", "bot", 1), change("a", "other", 2), change("b", "bot", 3), change("a", "bot", 4))
	cases := []struct {
		name string
		s    *Subscription
		want []int64
	}{
		{"subscriber of a/bot", ab, []int64{1, 4}},
		{"second subscriber of a/bot", ab2, []int64{1, 4}},
		{"another bot of the account", other, []int64{2}},
		{"the same bot id in another account", otherAcct, []int64{3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := drain(c.s); !equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
	t.Run("Close unsubscribes", func(t *testing.T) {
		ab2.Close()
		ab2.Close() // twice is fine
		publish(t, b, change("a", "bot", 5))
		if got := drain(ab2); len(got) != 0 {
			t.Fatalf("closed subscription got %v", got)
		}
		if got := drain(ab); !equal(got, []int64{5}) {
			t.Fatalf("open subscription got %v", got)
		}
		if dropped(ab2) {
			t.Fatal("a closed subscription reads as dropped")
		}
		if n := b.Subscribers(); n != 3 {
			t.Fatalf("%d subscribers, want 3", n)
		}
	})
}

func TestBrokerDropsSlowSubscriber(t *testing.T) {
	b := NewBroker()
	slow := b.Subscribe("a", "bot", 2)
	fast := b.Subscribe("a", "bot", 100)
	// One call that overflows the slow buffer in its middle, then more calls.
	publish(t, b, change("a", "bot", 1), change("a", "bot", 2), change("a", "bot", 3), change("a", "bot", 4))
	publish(t, b, change("a", "bot", 5))

	t.Run("the slow subscriber is dropped", func(t *testing.T) {
		if !dropped(slow) {
			t.Fatal("Dropped not closed")
		}
		if n := b.Subscribers(); n != 1 {
			t.Fatalf("%d subscribers, want 1", n)
		}
	})
	t.Run("and got a prefix, never a gap", func(t *testing.T) {
		if got := drain(slow); !equal(got, []int64{1, 2}) {
			t.Fatalf("got %v, want [1 2]", got)
		}
		// Room in its buffer now, but it is gone: nothing more arrives.
		publish(t, b, change("a", "bot", 6))
		if got := drain(slow); len(got) != 0 {
			t.Fatalf("a dropped subscriber received %v", got)
		}
	})
	t.Run("the fast subscriber got everything", func(t *testing.T) {
		if got := drain(fast); !equal(got, []int64{1, 2, 3, 4, 5, 6}) {
			t.Fatalf("got %v", got)
		}
		if dropped(fast) {
			t.Fatal("fast subscriber dropped")
		}
	})
}

// TestBrokerNoGapUnderLoad publishes many changes while a subscriber reads slowly: whatever it
// receives before it is dropped must be consecutive.
func TestBrokerNoGapUnderLoad(t *testing.T) {
	b := NewBroker()
	s := b.Subscribe("a", "bot", 8)
	var got []int64
	done, stop := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-s.Ready():
				for c, ok := s.Next(); ok; c, ok = s.Next() {
					got = append(got, c.Seq)
					time.Sleep(10 * time.Microsecond)
				}
			case <-s.Dropped():
				return
			case <-stop:
				return
			}
		}
	}()
	for seq := int64(1); seq <= 5000; seq++ {
		publish(t, b, change("a", "bot", seq))
	}
	close(stop)
	<-done
	got = append(got, drain(s)...)
	if len(got) == 0 {
		t.Fatal("nothing delivered")
	}
	for i, seq := range got {
		if seq != int64(i+1) {
			t.Fatalf("delivery %d is cursor %d: a gap after %v", i, seq, got[max(0, i-3):i])
		}
	}
	if len(got) < 5000 && !dropped(s) {
		t.Fatalf("%d of 5000 delivered, yet the subscriber was not dropped", len(got))
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// An idle subscriber holds at most 16 KiB, whatever its buffer allows, and what a burst
// queued is let go of once it is taken; closing every subscriber gives the memory back.
func TestSubscriberMemory(t *testing.T) {
	b := NewBroker()
	const n = 5000
	base := heapInUse()
	subs := make([]*Subscription, n)
	for i := range subs {
		subs[i] = b.Subscribe("a", "bot-"+strconv.Itoa(i%50), 1024)
	}
	if per := (heapInUse() - base) / n; per > 16<<10 {
		t.Fatalf("%d bytes per idle subscriber, want ≤ 16 KiB", per)
	}
	// A burst of 100 changes per bot, then every subscriber takes them.
	for seq := int64(1); seq <= 100; seq++ {
		for bot := range 50 {
			publish(t, b, change("a", "bot-"+strconv.Itoa(bot), seq))
		}
	}
	for _, s := range subs {
		if got := drain(s); len(got) != 100 {
			t.Fatalf("subscriber got %d changes, want 100", len(got))
		}
	}
	if per := (heapInUse() - base) / n; per > 16<<10 {
		t.Fatalf("%d bytes per subscriber after a burst was taken, want ≤ 16 KiB", per)
	}
	for _, s := range subs {
		s.Close()
	}
	subs = nil
	if left := int64(heapInUse()) - int64(base); left > 1<<20 {
		t.Fatalf("%d bytes still held after every subscriber left", left)
	}
}
