package live

import (
	"testing"
	"time"
)

const testInterval = 40 * time.Millisecond

// notices collects a subscription's summary notices until none has come for quiet.
func notices(s *Subscription, quiet time.Duration) []time.Time {
	var out []time.Time
	for {
		select {
		case at := <-s.Notices():
			out = append(out, at)
		case <-time.After(quiet):
			return out
		}
	}
}

// A single ingest is announced exactly once.
func TestNoticeSingleChange(t *testing.T) {
	b := NewBrokerNoticing(testInterval)
	sub := b.Subscribe("a", "b", 8)
	defer sub.Close()
	other := b.Subscribe("a", "other", 8)
	defer other.Close()
	before := time.Now()
	publish(t, b, change("a", "b", 1))
	got := notices(sub, 5*testInterval)
	if len(got) != 1 || got[0].Before(before) {
		t.Fatalf("notices %v, want exactly one after %v", got, before)
	}
	if n := notices(other, testInterval); len(n) != 0 {
		t.Fatalf("another bot was notified: %v", n)
	}
}

// A burst is announced at most once per interval, and its last change is always followed by a
// notice.
func TestNoticeBurstCoalesced(t *testing.T) {
	b := NewBrokerNoticing(testInterval)
	sub := b.Subscribe("a", "b", 1024)
	defer sub.Close()
	var got []time.Time
	var last time.Time
	for i := range 60 {
		last = time.Now()
		publish(t, b, change("a", "b", int64(i+1)))
		select { // read as a stream would, while the burst goes on
		case at := <-sub.Notices():
			got = append(got, at)
		default:
		}
		time.Sleep(testInterval / 8)
	}
	got = append(got, notices(sub, 5*testInterval)...)
	if len(got) < 2 {
		t.Fatalf("%d notices for a burst of 60 changes over several intervals, want at least 2", len(got))
	}
	for i := 1; i < len(got); i++ {
		if gap := got[i].Sub(got[i-1]); gap < testInterval {
			t.Fatalf("notices %d and %d only %v apart, want at least %v", i-1, i, gap, testInterval)
		}
	}
	if end := got[len(got)-1]; end.Before(last) {
		t.Fatalf("the last notice (%v) came before the last change (%v): figures would stay stale", end, last)
	}
	if len(got) > 60 {
		t.Fatalf("%d notices for 60 changes", len(got))
	}
}

// A bot nobody listens to costs nothing, and a trailing notice pending when the last
// subscriber leaves is dropped with it.
func TestNoticeUnsubscribed(t *testing.T) {
	b := NewBrokerNoticing(testInterval)
	publish(t, b, change("a", "b", 1))
	sub := b.Subscribe("a", "b", 8)
	publish(t, b, change("a", "b", 2), change("a", "b", 3))
	publish(t, b, change("a", "b", 4))
	sub.Close()
	b.notices.mu.Lock()
	n := len(b.notices.bots)
	b.notices.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d bots tracked with no subscriber", n)
	}
}
