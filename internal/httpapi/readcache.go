package httpapi

import (
	"sync"

	"github.com/intentrt/intentrt/internal/session"
)

// ReadCache keeps the read API's default answer (no filters, 25 sessions) of recently read
// bots, as the bytes sent. Kore's clients poll that answer; between two commits that touch a
// bot it cannot change, so a poll costs a map lookup instead of a storage read and an encoding.
//
// It is exact, not time-based: every commit's changes pass through Invalidate (the committer's
// publisher) before the producer gets its 200, and an answer is kept only if no change of its
// bot was published since before it was read. That holds when this process is the only writer
// (the embedded SQLite backend); with several nodes on one database, other nodes' commits
// would reach it only through the change feed, later, so the CLI does not use it there.
type ReadCache struct {
	mu      sync.RWMutex
	gen     uint64                 // bumped by every Invalidate
	changed map[readKey]uint64     // the gen at which each bot last changed
	floor   uint64                 // bots absent from changed count as changed at floor
	entries map[readKey]readAnswer // answers, with the gen read before their storage read
	max     int
}

type readKey struct{ account, bot string }

type readAnswer struct {
	gen  uint64
	body []byte
}

// NewReadCache returns a cache of at most max answers (and as many change marks).
func NewReadCache(max int) *ReadCache {
	return &ReadCache{changed: map[readKey]uint64{}, entries: map[readKey]readAnswer{}, max: max}
}

// Publish is Invalidate, so that the cache can stand in the committer's chain of publishers.
func (c *ReadCache) Publish(changes []session.Change) { c.Invalidate(changes) }

// Invalidate marks the bots of changes as changed. It must be called after the changes are
// committed and before anyone is told they are.
func (c *ReadCache) Invalidate(changes []session.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, ch := range changes {
		k := readKey{ch.State.Account, ch.State.Bot}
		c.changed[k] = c.gen
		delete(c.entries, k)
	}
	if len(c.changed) > c.max {
		clear(c.changed)
		c.floor = c.gen
	}
}

// get returns the answer of a bot if it is still current; otherwise the gen to store the
// answer about to be read from storage with.
func (c *ReadCache) get(account, bot string) (body []byte, gen uint64) {
	k := readKey{account, bot}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if e, ok := c.entries[k]; ok && e.gen >= c.changedAt(k) {
		return e.body, 0
	}
	return nil, c.gen
}

func (c *ReadCache) changedAt(k readKey) uint64 {
	if g, ok := c.changed[k]; ok {
		return g
	}
	return c.floor
}

// put keeps an answer read from storage after get returned gen, unless its bot changed since.
func (c *ReadCache) put(account, bot string, gen uint64, body []byte) {
	k := readKey{account, bot}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen < c.changedAt(k) {
		return // a commit raced the storage read: the answer may already be stale
	}
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[k] = readAnswer{gen: gen, body: body}
}
