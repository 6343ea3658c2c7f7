package ratelimit

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxFailureAddrs bounds the addresses remembered; past it, those that have recovered their
// whole budget are forgotten first.
const maxFailureAddrs = 100_000

// Failures throttles the authentication failures of each client address: a budget of
// perMinute failures (a bucket refilled at that rate, holding as many), and once it is spent
// the address is refused before its credentials are even checked, until the bucket refills.
// Successes cost nothing. IPv6 addresses are grouped by /64, the block one host usually holds.
type Failures struct {
	perMinute int
	now       func() time.Time

	mu      sync.Mutex
	buckets map[netip.Prefix]*rate.Limiter
}

// NewFailures returns a throttle of perMinute failures per address; 0 turns it off (nil).
func NewFailures(perMinute int) *Failures {
	if perMinute <= 0 {
		return nil
	}
	return &Failures{perMinute: perMinute, now: time.Now, buckets: map[netip.Prefix]*rate.Limiter{}}
}

// addrKey is the throttled unit of a RemoteAddr ("ip:port"): the address, or its /64.
func addrKey(remote string) (netip.Prefix, bool) {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, err := ip.Prefix(bits)
	return p, err == nil
}

// Blocked reports whether the address has spent its budget, and how long until it may try again.
func (f *Failures) Blocked(remote string) (bool, time.Duration) {
	if f == nil {
		return false, 0
	}
	key, ok := addrKey(remote)
	if !ok {
		return false, 0
	}
	f.mu.Lock()
	b := f.buckets[key]
	f.mu.Unlock()
	if b == nil {
		return false, 0
	}
	now := f.now()
	tokens := b.TokensAt(now)
	if tokens >= 1 {
		return false, 0
	}
	return true, time.Duration((1 - tokens) / float64(b.Limit()) * float64(time.Second))
}

// Fail takes one failure from the address's budget.
func (f *Failures) Fail(remote string) {
	if f == nil {
		return
	}
	key, ok := addrKey(remote)
	if !ok {
		return
	}
	now := f.now()
	f.mu.Lock()
	b := f.buckets[key]
	if b == nil {
		if len(f.buckets) >= maxFailureAddrs {
			f.forget(now)
		}
		b = rate.NewLimiter(rate.Limit(float64(f.perMinute)/60), f.perMinute)
		f.buckets[key] = b
	}
	f.mu.Unlock()
	b.AllowN(now, 1)
}

// forget drops the addresses whose budget is whole again, or every address if none has.
func (f *Failures) forget(now time.Time) {
	for k, b := range f.buckets {
		if b.TokensAt(now) >= float64(b.Burst()) {
			delete(f.buckets, k)
		}
	}
	if len(f.buckets) >= maxFailureAddrs {
		clear(f.buckets)
	}
}
