package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/intentrt/intentrt/internal/ingest"
	"github.com/intentrt/intentrt/internal/live"
	"github.com/intentrt/intentrt/internal/ratelimit"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/postgres"
)

// openPostgres opens a PostgreSQL store with the backend's default deadlines. It is shared by
// several nodes: it announces their commits and counts them.
func openPostgres(ctx context.Context, dsn string) (*backend, error) {
	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		return nil, err
	}
	return &backend{versionedStore: s, Changes: s, Nodes: s, Leases: s, Removals: s}, nil
}

// startFeed feeds the broker from storage's change feed, woken by this node's commits, by other
// nodes' notifications and by a poll each second. It returns what the committer should publish
// to: the feed, which reads the changes back in cursor order. forget (if any) is handed what
// each notification names before the feed is woken: the read cache drops another node's
// commit on hearing of it instead of after the feed's query.
func startFeed(ctx context.Context, src live.ChangeSource, l store.ChangeNotifier, broker live.Publisher, forget func(store.Changed), log *slog.Logger) (ingest.Publisher, error) {
	feed := live.NewFeed(src, broker, time.Second, log)
	if err := feed.Start(ctx); err != nil {
		return nil, fmt.Errorf("start change feed: %w", err)
	}
	go feed.Run(ctx)
	go l.Listen(ctx, func(c store.Changed) {
		if forget != nil {
			forget(c)
		}
		feed.Kick()
	}, log)
	return feed, nil
}

// Heartbeats: every heartbeatEvery a node says it is alive; one not heard of for nodeTTL is
// taken as gone.
const (
	heartbeatEvery = 2 * time.Second
	nodeTTL        = 3 * heartbeatEvery
)

// sharedLimiter returns a rate limiter whose per-account budget is divided between the live
// nodes of the database, kept current by a heartbeat until ctx ends.
func sharedLimiter(ctx context.Context, reg store.NodeRegistry, perMinute int, overrides map[string]int, log *slog.Logger) *ratelimit.Shared {
	l := ratelimit.NewShared(perMinute, overrides)
	id := uuid.NewString()
	beat := func() {
		n, err := reg.Heartbeat(ctx, id, time.Now(), nodeTTL)
		if err != nil {
			if ctx.Err() == nil {
				log.Debug("node heartbeat", "err", err) // keep the last share until storage answers
			}
			return
		}
		if n != l.Nodes() {
			log.Info("rate limit shared between nodes", "nodes", n)
			l.SetNodes(n)
		}
	}
	beat()
	go func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				beat()
			case <-ctx.Done():
				lctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				_ = reg.Leave(lctx, id) // the others take over its share at once rather than after nodeTTL
				return
			}
		}
	}()
	return l
}
