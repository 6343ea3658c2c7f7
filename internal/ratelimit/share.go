package ratelimit

import (
	"sync"
	"time"
)

// Shared is a Limiter for one of several nodes behind a load balancer: each node enforces its
// share of every account's budget (the limit divided by the number of live nodes, rounded up),
// so that with requests spread evenly the budget holds for the service as a whole, without a
// round trip to shared storage per request. SetNodes changes the share when nodes come or go.
type Shared struct {
	perMinute int
	overrides map[string]int

	mu    sync.RWMutex
	nodes int
	cur   *Limiter
}

// NewShared returns a limiter that starts as the only node.
func NewShared(perMinute int, overrides map[string]int) *Shared {
	s := &Shared{perMinute: perMinute, overrides: overrides}
	s.SetNodes(1)
	return s
}

// SetNodes sets how many nodes share the budget. A change starts every account afresh on its
// new share; nodes come and go rarely, so the brief excess this allows does not matter.
func (s *Shared) SetNodes(n int) {
	n = max(n, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if n == s.nodes {
		return
	}
	over := make(map[string]int, len(s.overrides))
	for acct, lim := range s.overrides {
		over[acct] = share(lim, n)
	}
	s.nodes, s.cur = n, New(share(s.perMinute, n), over)
}

// Nodes returns how many nodes share the budget now.
func (s *Shared) Nodes() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.nodes
}

// Allow takes one request from this node's share of the account's budget.
func (s *Shared) Allow(account string) (bool, time.Duration) {
	s.mu.RLock()
	cur := s.cur
	s.mu.RUnlock()
	return cur.Allow(account)
}

// share divides a per-minute limit between n nodes, rounding up so that no node is left with
// nothing; 0 (unlimited) stays 0.
func share(limit, n int) int {
	if limit <= 0 {
		return limit
	}
	return (limit + n - 1) / n
}
