package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/intentrt/intentrt/internal/ingest"
	"github.com/intentrt/intentrt/internal/live"
	"github.com/intentrt/intentrt/internal/store/postgres"
)

// openPostgres opens a PostgreSQL store with the backend's default deadlines.
func openPostgres(ctx context.Context, dsn string) (backend, error) {
	return postgres.Open(ctx, dsn, postgres.Options{})
}

// changeListener is a store that announces the commits of every node sharing it (PostgreSQL's
// LISTEN/NOTIFY). Such a store is shared by several nodes, so the live stream must be fed from
// storage rather than from this node's own commits.
type changeListener interface {
	Listen(ctx context.Context, onChange func(), log *slog.Logger)
}

// startFeed feeds the broker from storage's change feed, woken by this node's commits, by other
// nodes' notifications and by a poll each second. It returns what the committer should publish
// to: the feed, which reads the changes back in cursor order.
func startFeed(ctx context.Context, src live.ChangeSource, l changeListener, broker *live.Broker, log *slog.Logger) (ingest.Publisher, error) {
	feed := live.NewFeed(src, broker, time.Second, log)
	if err := feed.Start(ctx); err != nil {
		return nil, fmt.Errorf("start change feed: %w", err)
	}
	go feed.Run(ctx)
	go l.Listen(ctx, feed.Kick, log)
	return feed, nil
}
