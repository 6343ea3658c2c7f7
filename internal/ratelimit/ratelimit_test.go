package ratelimit

import (
	"sync"
	"testing"
	"time"
)

// clock is a settable time source for the limiter.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }

func newAt(c *clock, perMinute int, overrides map[string]int) *Limiter {
	l := New(perMinute, overrides)
	l.now = c.now
	return l
}

func TestTokenBucket(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)}
	l := newAt(c, 3, nil)
	allow := func(t *testing.T, acct string, want bool) time.Duration {
		t.Helper()
		ok, wait := l.Allow(acct)
		if ok != want {
			t.Fatalf("Allow(%s) = %v, want %v", acct, ok, want)
		}
		if ok && wait != 0 {
			t.Fatalf("allowed with a wait of %v", wait)
		}
		return wait
	}
	t.Run("a burst of N", func(t *testing.T) {
		for range 3 {
			allow(t, "a", true)
		}
		wait := allow(t, "a", false)
		// 3 a minute: one request every 20 s.
		if wait <= 0 || wait > 20*time.Second {
			t.Fatalf("wait %v, want in (0, 20s]", wait)
		}
	})
	t.Run("a refusal does not spend budget", func(t *testing.T) {
		for range 5 {
			allow(t, "a", false)
		}
		c.add(20 * time.Second)
		allow(t, "a", true)
		allow(t, "a", false)
	})
	t.Run("refill at N a minute", func(t *testing.T) {
		c.add(19 * time.Second)
		w := allow(t, "a", false)
		if w <= 0 || w > time.Second {
			t.Fatalf("wait %v, want at most 1 s", w)
		}
		c.add(time.Second)
		allow(t, "a", true)
	})
	t.Run("the bucket holds at most N", func(t *testing.T) {
		c.add(time.Hour)
		for range 3 {
			allow(t, "a", true)
		}
		allow(t, "a", false)
	})
	t.Run("accounts have their own buckets", func(t *testing.T) {
		for range 3 {
			allow(t, "b", true)
		}
		allow(t, "b", false)
	})
}

func TestOverrides(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)}
	l := newAt(c, 2, map[string]int{"one": 1, "free": 0, "big": 10})
	cases := []struct {
		acct    string
		allowed int // -1: unlimited
	}{
		{"default", 2}, {"one", 1}, {"big", 10}, {"free", -1},
	}
	for _, cs := range cases {
		t.Run(cs.acct, func(t *testing.T) {
			if cs.allowed < 0 {
				for i := range 1000 {
					if ok, _ := l.Allow(cs.acct); !ok {
						t.Fatalf("request %d refused", i+1)
					}
				}
				return
			}
			n := 0
			for range cs.allowed + 5 {
				if ok, _ := l.Allow(cs.acct); ok {
					n++
				}
			}
			if n != cs.allowed {
				t.Fatalf("%d allowed, want %d", n, cs.allowed)
			}
		})
	}
	t.Run("Limit", func(t *testing.T) {
		if l.Limit("one") != 1 || l.Limit("default") != 2 || l.Limit("free") != 0 {
			t.Fatal("Limit does not report the overrides")
		}
	})
}

func TestUnlimited(t *testing.T) {
	l := New(0, nil)
	for i := range 1000 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d refused with the limit off", i+1)
		}
	}
}

func TestConcurrentAllow(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)}
	l := newAt(c, 50, nil)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if ok, _ := l.Allow("a"); ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if allowed != 50 {
		t.Fatalf("%d of 160 concurrent requests allowed, want exactly the burst of 50", allowed)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want int
	}{
		{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {20 * time.Second, 20}, {59500 * time.Millisecond, 60},
	}
	for _, c := range cases {
		if got := RetryAfterSeconds(c.d); got != c.want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", c.d, got, c.want)
		}
	}
}
