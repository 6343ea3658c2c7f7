package httpapi

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

// ReadCache keeps the read API's default answer (no filters, 25 sessions) of recently read
// bots, as the bytes sent. Kore's clients poll that answer; between two commits that touch a
// bot it cannot change, so a poll costs a map lookup instead of a storage read and an encoding.
//
// It is exact, not time-based: every change passes through Invalidate before anyone is told of
// it, which drops the bot's answer, and an answer read from storage is kept only if no change
// of its bot was published since before its storage read (a generation check). On one node
// (SQLite) the committer invalidates before the producer's 200; with several nodes each node
// also drops what another node's commit changed when its notification arrives (Forget), so
// that commit is seen here after the notification's delivery, and again from the change feed,
// which covers a lost notification.
//
// The answers' bytes are held off the collected heap, in pages (pages.go), so that the
// collector's headroom does not double them in RSS; an answer's pages go back to the free list
// only when neither the cache nor any request writing it holds it (refs), so a request never
// sends bytes that another answer has since been written into.
//
// It is bounded by bytes and evicts with CLOCK (second chance): a hit only sets a bit, under
// the read lock, and the hand passes over recently read answers once before dropping them, so
// a large set of active bots keeps a steady hit rate instead of being cleared all at once.
type ReadCache struct {
	mu      sync.RWMutex
	gen     uint64              // bumped by every Invalidate
	changed map[readKey]uint64  // the gen at which each bot last changed (bounded: see marks)
	floor   uint64              // bots absent from changed count as changed at floor
	entries map[readKey]*cached // answers
	ring    []*cached           // CLOCK order; nil where an answer was dropped
	free    []int               // nil slots of ring
	hand    int
	bytes   int64 // accounted size of the answers held
	max     int64 // bound of bytes
	marks   int   // bound of len(changed)
	arena   pageArena

	hits, misses atomic.Uint64
}

type readKey struct{ account, bot string }

// cached is one answer.
type cached struct {
	key   readKey
	pages []pageID
	body  [][]byte // the answer, as slices of its pages (pageArena.runs)
	clen  []string // its Content-Length header's value, formatted once (net/http only reads it)
	slot  int
	ref   atomic.Bool // read since the hand last passed
	// refs counts the holders of the answer's pages: 1 for the cache while the answer is in
	// entries, plus one per request writing it (get to release). Whoever drops it to zero
	// returns the pages; get only adds while the answer is in entries, under the read lock,
	// so nothing holds it after that.
	refs atomic.Int32
}

// entryOverhead approximates what an answer costs beyond its pages: the entry, its map slot,
// its ring slot, its page list and the key strings' headers.
const entryOverhead = 200

func (e *cached) size() int64 {
	return int64(len(e.pages)*pageSize+len(e.key.account)+len(e.key.bot)+len(e.clen[0])) + entryOverhead
}

// NewReadCache returns a cache of at most maxBytes of answers.
func NewReadCache(maxBytes int64) *ReadCache {
	return &ReadCache{
		changed: map[readKey]uint64{}, entries: map[readKey]*cached{}, max: maxBytes,
		marks: max(int(maxBytes/1024), 1024),
	}
}

// Publish is Invalidate, so that the cache can stand in a chain of publishers.
func (c *ReadCache) Publish(changes []session.Change) { c.Invalidate(changes) }

// Invalidate drops the answers of the bots of changes and marks them as changed. It must be
// called after the changes are committed and before anyone is told they are.
func (c *ReadCache) Invalidate(changes []session.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, ch := range changes {
		c.mark(readKey{ch.State.Account, ch.State.Bot})
	}
	c.boundMarks()
}

// Forget drops what a commit of any node changed, as its notification names it (a node of a
// shared database calls it on hearing of the commit, before its change feed reads the
// commit back): so another node's commit stops being served from here once the notification
// arrives. Like Invalidate, it marks what it drops as changed, so that a storage read begun
// before it is not kept.
func (c *ReadCache) Forget(ch store.Changed) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	switch {
	case ch.All:
		c.forgetAll(func(readKey) bool { return true })
	case len(ch.Accounts) > 0:
		accounts := make(map[string]bool, len(ch.Accounts))
		for _, a := range ch.Accounts {
			accounts[a] = true
		}
		c.forgetAll(func(k readKey) bool { return accounts[k.account] })
	}
	for _, b := range ch.Bots {
		c.mark(readKey{b.Account, b.Bot})
	}
	c.boundMarks()
}

// mark drops a bot's answer and records that it changed at the current gen.
func (c *ReadCache) mark(k readKey) {
	c.changed[k] = c.gen
	if e, ok := c.entries[k]; ok {
		c.drop(e)
	}
}

// forgetAll drops the answers of the bots that match and counts every bot as changed now (a
// notice too large to name its bots is rare: this keeps no storage read in flight, of any
// bot, rather than a mark per bot of an account).
func (c *ReadCache) forgetAll(match func(readKey) bool) {
	for k, e := range c.entries {
		if match(k) {
			c.drop(e)
		}
	}
	clear(c.changed)
	c.floor = c.gen
}

// boundMarks forgets the marks when they overflow. They only matter to storage reads in
// flight (see put): reads that began before then are not kept. Answers held stay: their
// bots' changes dropped them already.
func (c *ReadCache) boundMarks() {
	if len(c.changed) > c.marks {
		clear(c.changed)
		c.floor = c.gen
	}
}

// Stats returns the hits and misses so far.
func (c *ReadCache) Stats() (hits, misses uint64) { return c.hits.Load(), c.misses.Load() }

// Bytes returns the accounted size of the answers held.
func (c *ReadCache) Bytes() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.bytes
}

// get returns the answer of a bot if one is held, which the caller must release once written;
// otherwise the gen to store the answer about to be read from storage with.
func (c *ReadCache) get(account, bot string) (e *cached, gen uint64) {
	c.mu.RLock()
	e = c.entries[readKey{account, bot}]
	if e != nil {
		e.refs.Add(1) // while the cache's own reference is held: the pages cannot go before
	}
	gen = c.gen
	c.mu.RUnlock()
	if e == nil {
		c.misses.Add(1)
		return nil, gen
	}
	if !e.ref.Load() {
		e.ref.Store(true)
	}
	c.hits.Add(1)
	return e, 0
}

func (c *ReadCache) changedAt(k readKey) uint64 {
	if g, ok := c.changed[k]; ok {
		return g
	}
	return c.floor
}

// release lets go of an answer get returned, once its bytes are written.
func (c *ReadCache) release(e *cached) {
	if e.refs.Add(-1) == 0 { // dropped while it was written: its pages are free now
		c.mu.Lock()
		c.arena.release(e.pages)
		c.mu.Unlock()
	}
}

// put keeps a copy of an answer read from storage after get returned gen, unless its bot
// changed since or it is larger than the whole cache.
func (c *ReadCache) put(account, bot string, gen uint64, body []byte) {
	k := readKey{account, bot}
	e := &cached{key: k, clen: []string{strconv.Itoa(len(body))}}
	n := pagesFor(len(body))
	size := e.size() + int64(n*pageSize) // as e.size() once it holds its pages
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen < c.changedAt(k) || size > c.max {
		return // a commit raced the storage read: the answer may already be stale
	}
	if old, ok := c.entries[k]; ok {
		c.drop(old)
	}
	for c.bytes+size > c.max {
		c.evictOne()
	}
	e.pages = c.arena.alloc(n)
	c.arena.store(e.pages, body)
	e.body = c.arena.runs(e.pages, len(body))
	e.refs.Store(1)
	if n := len(c.free); n > 0 {
		e.slot = c.free[n-1]
		c.free = c.free[:n-1]
		c.ring[e.slot] = e
	} else {
		e.slot = len(c.ring)
		c.ring = append(c.ring, e)
	}
	c.entries[k] = e
	c.bytes += size
}

// evictOne moves the hand until it drops an answer not read since the hand last passed it.
func (c *ReadCache) evictOne() {
	for {
		if c.hand >= len(c.ring) {
			c.hand = 0
		}
		e := c.ring[c.hand]
		c.hand++
		if e == nil {
			continue
		}
		if e.ref.Swap(false) {
			continue // a second chance
		}
		c.drop(e)
		return
	}
}

// drop removes e; its ring slot is reused by the next answer, and its pages too unless a
// request is still writing it (then release returns them).
func (c *ReadCache) drop(e *cached) {
	delete(c.entries, e.key)
	c.ring[e.slot] = nil
	c.free = append(c.free, e.slot)
	c.bytes -= e.size()
	if e.refs.Add(-1) == 0 {
		c.arena.release(e.pages)
	}
}
