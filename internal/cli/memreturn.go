package cli

import (
	"context"
	"log/slog"
	"runtime/debug"
	"time"
)

// Go's runtime gives memory the program freed back to the system only gradually (its
// scavenger works at about 1 % of a core), and keeps goroutine stacks for reuse. After
// thousands of stream subscribers leave at once (a dashboard fleet closing, a proxy dropping
// its connections), their stacks and buffers would stay resident for minutes. The "memory
// return" worker watches the subscriber count and, once it has fallen by at least half and by
// releaseDrop subscribers since its peak, returns the freed memory at once (a collection and a
// scavenge, tens of milliseconds, only after such a drop).

const (
	releaseEvery = 2 * time.Second
	releaseDrop  = 500
)

// releaseTracker decides when a drop in subscribers is worth returning memory for.
type releaseTracker struct{ peak int }

// observe takes the current count and reports whether to return memory now.
func (t *releaseTracker) observe(n int) bool {
	if n > t.peak {
		t.peak = n
		return false
	}
	if t.peak-n >= releaseDrop && n <= t.peak/2 {
		t.peak = n
		return true
	}
	return false
}

// returnMemory runs the worker until ctx ends.
func returnMemory(ctx context.Context, subscribers func() int, log *slog.Logger) {
	var t releaseTracker
	tick := time.NewTicker(releaseEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if n := subscribers(); t.observe(n) {
			debug.FreeOSMemory()
			log.Debug("returned freed memory after stream subscribers left", "subscribers", n)
		}
	}
}
