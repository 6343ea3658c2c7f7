package httpapi

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

// body returns the answer held for a bot, or "".
func body(c *ReadCache, bot string) string {
	e, _ := c.get("a", bot)
	if e == nil {
		return ""
	}
	defer c.release(e)
	return string(bytes.Join(e.body, nil))
}

func change(account, bot string) []session.Change {
	return []session.Change{{State: session.State{Key: session.Key{Account: account, Bot: bot, SessionID: "s"}}}}
}

// TestReadCacheNeverServesAnAnswerOlderThanACommit walks the orders in which a read and a commit
// of the same bot can interleave: an answer read before a commit's publication must never be
// served after it, whichever of the two finished first.
func TestReadCacheNeverServesAnAnswerOlderThanACommit(t *testing.T) {
	c := NewReadCache(1 << 20)
	hit := func(bot string) bool { return body(c, bot) != "" }

	_, gen := c.get("a", "b1")
	c.put("a", "b1", gen, []byte("v1"))
	if b := body(c, "b1"); b != "v1" {
		t.Fatalf("fresh answer not served: %q", b)
	}

	c.Invalidate(change("a", "b1"))
	if hit("b1") {
		t.Fatal("answer served after a commit of its bot")
	}

	// Read started before a commit, stored after it: dropped.
	_, gen = c.get("a", "b1")
	c.Invalidate(change("a", "b1"))
	c.put("a", "b1", gen, []byte("stale"))
	if hit("b1") {
		t.Fatal("an answer read before a commit was kept")
	}

	// Read started after the commit: kept; a commit of another bot or account leaves it.
	_, gen = c.get("a", "b1")
	c.put("a", "b1", gen, []byte("v2"))
	c.Invalidate(change("a", "b2"))
	c.Invalidate(change("other", "b1"))
	if b := body(c, "b1"); b != "v2" {
		t.Fatalf("answer dropped by another bot's commit: %q", b)
	}

	// When the change marks overflow they are forgotten wholesale: a storage read that began
	// before then is not kept, but answers held stay (their bots' changes dropped them).
	small := NewReadCache(1 << 20)
	small.marks = 2
	_, gen = small.get("a", "keep")
	small.put("a", "keep", gen, []byte("v"))
	_, late := small.get("a", "late")
	small.Invalidate(append(append(change("a", "x"), change("a", "y")...), change("a", "z")...))
	if b := body(small, "keep"); b != "v" {
		t.Fatalf("an answer whose bot did not change was dropped: %q", b)
	}
	small.put("a", "late", late, []byte("stale"))
	if hit := body(small, "late"); hit != "" {
		t.Fatal("answer read before the forgotten marks kept")
	}
}

// The cache holds at most its bytes, and with 100 000 active bots, far more than fit, its hit
// rate stays steady: a hot tenth of the bots, read nine times in ten, keeps being served from
// memory in every window, while commits keep invalidating bots at random.
func TestReadCacheBoundedBySizeWithSteadyHits(t *testing.T) {
	const bots, maxBytes = 100_000, 16 << 20
	c := NewReadCache(maxBytes)
	body := make([]byte, 700)
	rng := rand.New(rand.NewPCG(1, 2))
	read := func(i int) bool {
		bot := "st-" + strconv.Itoa(i)
		e, gen := c.get("a", bot)
		if e != nil {
			c.release(e)
			return true
		}
		c.put("a", bot, gen, body)
		return false
	}
	const window = 20_000
	for w := range 30 {
		hits := 0
		for range window {
			i := rng.IntN(bots)
			if rng.IntN(10) < 9 {
				i = rng.IntN(bots / 10)
			}
			if read(i) {
				hits++
			}
			if rng.IntN(20) == 0 {
				c.Invalidate(change("a", "st-"+strconv.Itoa(rng.IntN(bots))))
			}
			if c.bytes > maxBytes {
				t.Fatalf("%d bytes held, bound %d", c.bytes, maxBytes)
			}
		}
		if w >= 5 && hits < window*6/10 {
			t.Fatalf("window %d: hit rate %.2f, want a steady ≥ 0.6", w, float64(hits)/window)
		}
	}
	if len(c.entries) == 0 || c.Bytes() < maxBytes*9/10 {
		t.Fatalf("%d answers in %d bytes: the cache should be nearly full", len(c.entries), c.Bytes())
	}
	// Dropped and evicted answers' pages are reused: what is mapped stays within the bound.
	if mapped := len(c.arena.chunks) * chunkPages * pageSize; mapped > maxBytes+chunkPages*pageSize {
		t.Fatalf("%d bytes of pages mapped for a bound of %d", mapped, maxBytes)
	}
}

// TestReadCacheForget: a notification of another node's commit drops what it names — bots,
// whole accounts, or everything — and, like a local commit, keeps no storage read begun
// before it.
func TestReadCacheForget(t *testing.T) {
	c := NewReadCache(1 << 20)
	held := func(account, bot string) bool {
		e, _ := c.get(account, bot)
		if e != nil {
			c.release(e)
		}
		return e != nil
	}
	fill := func() {
		for _, k := range [][2]string{{"a", "b1"}, {"a", "b2"}, {"x", "b1"}} {
			_, gen := c.get(k[0], k[1])
			c.put(k[0], k[1], gen, []byte(k[0]+k[1]))
		}
	}
	want := func(what string, a1, a2, x1 bool) {
		t.Helper()
		if held("a", "b1") != a1 || held("a", "b2") != a2 || held("x", "b1") != x1 {
			t.Fatalf("after %s: held a/b1 %v a/b2 %v x/b1 %v, want %v %v %v", what,
				held("a", "b1"), held("a", "b2"), held("x", "b1"), a1, a2, x1)
		}
	}
	fill()
	want("filling", true, true, true)
	c.Forget(store.Changed{Bots: []store.BotRef{{Account: "a", Bot: "b1"}}})
	want("forgetting a bot", false, true, true)
	fill()
	c.Forget(store.Changed{Accounts: []string{"a"}})
	want("forgetting an account", false, false, true)
	fill()
	c.Forget(store.Changed{All: true})
	want("forgetting everything", false, false, false)
	fill()
	c.Forget(store.Changed{}) // a reconnection names nothing: the feed's read finds it
	want("a notice naming nothing", true, true, true)

	for _, ch := range []store.Changed{
		{Bots: []store.BotRef{{Account: "a", Bot: "r"}}}, {Accounts: []string{"a"}}, {All: true},
	} {
		_, gen := c.get("a", "r")
		c.Forget(ch) // the commit is heard of while the storage read is in flight
		c.put("a", "r", gen, []byte("stale"))
		if held("a", "r") {
			t.Fatalf("an answer read before %+v was kept", ch)
		}
	}
}
