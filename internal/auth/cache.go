package auth

import (
	"context"
	"errors"
	"sync"
	"time"
)

// AppCache keeps apps looked up recently so that verifying a token costs no storage round trip.
// Entries live for ttl, which bounds how long a revocation or a new app takes to be seen
// (the contract allows 5 s). Unknown client ids are remembered too, so a flood of bogus tokens
// does not reach storage.
type AppCache struct {
	lookup func(ctx context.Context, clientID string) (App, error)
	ttl    time.Duration
	max    int
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	app     App
	unknown bool
	at      time.Time
}

// NewAppCache caches lookup, which returns ErrUnknownApp for a client id it does not know.
func NewAppCache(lookup func(ctx context.Context, clientID string) (App, error), ttl time.Duration) *AppCache {
	return &AppCache{lookup: lookup, ttl: ttl, max: 100_000, now: time.Now, entries: map[string]cacheEntry{}}
}

// App returns the app, from the cache while fresh.
func (c *AppCache) App(ctx context.Context, clientID string) (App, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[clientID]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		if e.unknown {
			return App{}, ErrUnknownApp
		}
		return e.app, nil
	}
	app, err := c.lookup(ctx, clientID)
	unknown := errors.Is(err, ErrUnknownApp)
	if err != nil && !unknown {
		return App{}, err // a storage failure is not remembered
	}
	c.store(clientID, cacheEntry{app: app, unknown: unknown, at: now})
	return app, err
}

func (c *AppCache) store(clientID string, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		clear(c.entries) // crude, but bounds memory against random client ids
	}
	c.entries[clientID] = e
}

// Fresh returns a source that always asks storage (and refreshes the cache with the answer).
// The dashboard's sign-in uses it so that its cost does not depend on whether the client id
// was asked about recently: through the cache a known, busy app answered from memory and an
// unknown id from storage, which told an attacker which ids exist.
func (c *AppCache) Fresh() AppSource { return freshSource{c} }

type freshSource struct{ c *AppCache }

func (f freshSource) App(ctx context.Context, clientID string) (App, error) {
	app, err := f.c.lookup(ctx, clientID)
	unknown := errors.Is(err, ErrUnknownApp)
	if err != nil && !unknown {
		return App{}, err
	}
	f.c.store(clientID, cacheEntry{app: app, unknown: unknown, at: f.c.now()})
	return app, err
}
