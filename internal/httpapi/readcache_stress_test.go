package httpapi

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/store"
)

// TestReadCachePagesNeverShared hits, invalidates, forgets and evicts answers from many
// goroutines at once on a cache far smaller than its bots' answers, and checks that every
// answer a "request" holds is its own bot's bytes, from get to release, however long it takes
// to write: pages of an answer dropped meanwhile must not be handed to another one until the
// request lets go, or it would send another bot's data.
func TestReadCachePagesNeverShared(t *testing.T) {
	const bots, readers = 60, 8
	c := NewReadCache(64 << 10) // a few answers only: constant eviction
	answer := func(bot int) []byte {
		// 1 to 5 pages, not page-aligned, the bot's name throughout.
		name := fmt.Sprintf("<bot-%03d>", bot)
		return bytes.Repeat([]byte(name), (bot%5+1)*pageSize/len(name)-bot%3)
	}
	want := make([][]byte, bots)
	for i := range want {
		want[i] = answer(i)
	}
	deadline := time.Now().Add(2 * time.Second)
	if testing.Short() {
		deadline = time.Now().Add(300 * time.Millisecond)
	}
	var hits, checked atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan string, readers)
	for r := range readers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			for time.Now().Before(deadline) {
				bot := rng.IntN(bots)
				name := "st-" + strconv.Itoa(bot)
				e, gen := c.get("a", name)
				if e == nil {
					c.put("a", name, gen, want[bot])
					continue
				}
				hits.Add(1)
				// A slow write: the answer is read, others run, then read again.
				for range 1 + rng.IntN(3) {
					if got := bytes.Join(e.body, nil); !bytes.Equal(got, want[bot]) {
						errs <- fmt.Sprintf("bot %d's answer holds other bytes mid-write: %.40q…", bot, got)
						c.release(e)
						return
					}
					checked.Add(1)
					runtime.Gosched()
				}
				c.release(e)
			}
		})
	}
	wg.Go(func() { // commits: one bot, an account, everything
		rng := rand.New(rand.NewPCG(99, 7))
		for time.Now().Before(deadline) {
			switch n := rng.IntN(100); {
			case n == 0:
				c.Forget(store.Changed{All: true})
			case n == 1:
				c.Forget(store.Changed{Accounts: []string{"a"}})
			default:
				c.Invalidate(change("a", "st-"+strconv.Itoa(rng.IntN(bots))))
			}
			runtime.Gosched()
		}
	})
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if hits.Load() == 0 {
		t.Fatal("no hit at all: the test checked nothing")
	}
	t.Logf("%d hits, %d checks", hits.Load(), checked.Load())
	// Every page is the free list's or one held answer's, once.
	c.mu.Lock()
	defer c.mu.Unlock()
	owner := map[pageID]string{}
	for _, id := range c.arena.free {
		if o, dup := owner[id]; dup {
			t.Fatalf("page %d free twice (%s)", id, o)
		}
		owner[id] = "free"
	}
	for k, e := range c.entries {
		for _, id := range e.pages {
			if o, dup := owner[id]; dup {
				t.Fatalf("page %d of %s is also %s's", id, k.bot, o)
			}
			owner[id] = k.bot
		}
	}
	if len(owner) != len(c.arena.chunks)*chunkPages {
		t.Fatalf("%d pages accounted for, %d mapped: pages were lost", len(owner), len(c.arena.chunks)*chunkPages)
	}
}
