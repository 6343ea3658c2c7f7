package retention

import (
	"context"
	"log/slog"
	"time"

	"github.com/intentrt/intentrt/internal/store"
)

// Purger removes what the policy says has expired, in the background.
type Purger struct {
	Store  store.Lifecycle
	Policy *Policy
	// Batch is the most sessions (and seen keys) one transaction removes: small, so that on
	// SQLite the committer, which shares the one writer, waits for one short batch at most.
	Batch int
	// Pause is the yield between batches, which lets the committer and readers in.
	Pause time.Duration
	// Removed is told the bots whose sessions went, after each batch commits: their caches
	// and summaries must forget them.
	Removed func([]store.BotRef)
	Log     *slog.Logger
	Now     func() time.Time
}

// Interval is how often a round runs: a quarter of the shortest retention, between a second
// and a minute, so a short horizon (a test's) is kept within a little of it.
func (p *Purger) Interval() time.Duration {
	shortest := p.Policy.Default
	for _, d := range p.Policy.Accounts {
		if d > 0 && (shortest <= 0 || d < shortest) {
			shortest = d
		}
	}
	return min(max(shortest/4, time.Second), time.Minute)
}

// Run purges a round at once and then every Interval until ctx ends.
func (p *Purger) Run(ctx context.Context) {
	t := time.NewTicker(p.Interval())
	defer t.Stop()
	for {
		p.Round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Round purges every rule of the policy until nothing expired is left, and logs the counts.
func (p *Purger) Round(ctx context.Context) (sessions, keys int, err error) {
	start := time.Now()
	for _, rule := range p.Policy.Rules(p.now()) {
		s, k, busy, err := p.purge(ctx, rule)
		sessions, keys = sessions+s, keys+k
		if err != nil {
			if ctx.Err() == nil {
				p.Log.Error("retention purge", "err", err, "sessions", sessions, "keys", keys)
			}
			return sessions, keys, err
		}
		if busy {
			break // another node purges: it will finish the round
		}
	}
	if sessions > 0 || keys > 0 {
		took := time.Since(start)
		p.Log.Info("retention purge", "sessions", sessions, "keys", keys, "took", took.Round(time.Millisecond),
			"sessions_per_s", int(float64(sessions)/max(took.Seconds(), 1e-3)))
	}
	return sessions, keys, nil
}

func (p *Purger) purge(ctx context.Context, rule store.PurgeRule) (sessions, keys int, busy bool, err error) {
	for {
		r, err := p.Store.PurgeExpired(ctx, rule, p.Batch)
		if err != nil || r.Busy {
			return sessions, keys, r.Busy, err
		}
		sessions, keys = sessions+r.Sessions, keys+r.Keys
		if len(r.Bots) > 0 && p.Removed != nil {
			p.Removed(r.Bots)
		}
		if r.Sessions < p.Batch && r.Keys < p.Batch {
			return sessions, keys, false, nil
		}
		select {
		case <-ctx.Done():
			return sessions, keys, false, ctx.Err()
		case <-time.After(p.Pause):
		}
	}
}

func (p *Purger) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}
