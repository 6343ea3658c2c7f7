package ratelimit

import (
	"testing"
	"time"
)

// TestFailures: an address is blocked once it has failed perMinute times, for the time one
// failure takes to refill; other addresses (and other /64s) are not; successes are free.
func TestFailures(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	f := NewFailures(6) // one failure back every 10 s
	f.now = func() time.Time { return now }
	const a = "192.0.2.1:1234"
	for i := range 6 {
		if blocked, _ := f.Blocked(a); blocked {
			t.Fatalf("blocked after %d failures", i)
		}
		f.Fail(a)
	}
	blocked, wait := f.Blocked(a)
	if !blocked || wait <= 0 || wait > 10*time.Second {
		t.Fatalf("after 6 failures: blocked %v, wait %v", blocked, wait)
	}
	if b, _ := f.Blocked("192.0.2.1:9999"); !b {
		t.Error("another port of the same address is not blocked")
	}
	if b, _ := f.Blocked("192.0.2.2:1234"); b {
		t.Error("another address is blocked")
	}
	for range 6 {
		f.Fail("[2001:db8::1]:443")
	}
	if b, _ := f.Blocked("[2001:db8::ffff]:1"); !b {
		t.Error("the same /64 is not blocked")
	}
	if b, _ := f.Blocked("[2001:db8:0:1::1]:1"); b {
		t.Error("another /64 is blocked")
	}
	now = now.Add(wait)
	if b, _ := f.Blocked(a); b {
		t.Errorf("still blocked after waiting the Retry-After")
	}
	if NewFailures(0) != nil {
		t.Error("0 does not turn the throttle off")
	}
	var off *Failures
	off.Fail(a)
	if b, _ := off.Blocked(a); b {
		t.Error("a nil throttle blocks")
	}
}
