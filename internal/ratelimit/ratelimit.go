// Package ratelimit enforces the per-account request budget of the read API with a token bucket
// per account: a steady rate of N a minute with bursts up to N, as Kore describes its limit.
package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter holds one bucket per account. A limit of 0 means unlimited.
type Limiter struct {
	perMinute int
	overrides map[string]int
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// New returns a limiter allowing perMinute requests per account, with per-account overrides.
func New(perMinute int, overrides map[string]int) *Limiter {
	return &Limiter{perMinute: perMinute, overrides: overrides, now: time.Now, buckets: map[string]*rate.Limiter{}}
}

// Limit returns the per-minute limit of an account (0: unlimited).
func (l *Limiter) Limit(account string) int {
	if n, ok := l.overrides[account]; ok {
		return n
	}
	return l.perMinute
}

// Allow takes one request from the account's budget. When the budget is spent it returns false
// and how long until the next request would be allowed.
func (l *Limiter) Allow(account string) (bool, time.Duration) {
	n := l.Limit(account)
	if n <= 0 {
		return true, 0
	}
	l.mu.Lock()
	b, ok := l.buckets[account]
	if !ok {
		b = rate.NewLimiter(rate.Limit(float64(n)/60), n)
		l.buckets[account] = b
	}
	l.mu.Unlock()
	now := l.now()
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// RetryAfterSeconds renders a wait for the Retry-After header: whole seconds, at least 1.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
