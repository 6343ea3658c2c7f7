package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/intentrt/intentrt/internal/erasure"
	"github.com/intentrt/intentrt/internal/httpapi"
	"github.com/intentrt/intentrt/internal/live"
	"github.com/intentrt/intentrt/internal/privacy"
	"github.com/intentrt/intentrt/internal/retention"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

// lifecycleBatch is the most sessions one purge or erasure transaction removes: on SQLite the
// committer waits for one such batch at most (docs/privacy.md gives the measured figures).
const lifecycleBatch = 500

// lifecyclePause is the yield between two batches of a long purge or erasure.
const lifecyclePause = 20 * time.Millisecond

// lifecycle is retention's purge and the erasure requests of one server.
type lifecycle struct {
	db       *backend
	erasures *erasure.Service
	wake     chan struct{}
	removed  func([]store.BotRef)
}

func newLifecycle(db *backend, users erasure.UserIDs, cache *httpapi.ReadCache, broker *live.Broker) *lifecycle {
	wake := make(chan struct{}, 1)
	return &lifecycle{
		db:       db,
		wake:     wake,
		erasures: &erasure.Service{Store: db, Users: users, Wake: wake},
		// Sessions that go must leave this node's read cache at once and the summaries open on
		// its stream must be told. On a shared database every node hears of each step's bots
		// through the store's RemovalNotifier (listen) and does the same.
		removed: func(bots []store.BotRef) {
			if cache != nil {
				changes := make([]session.Change, len(bots))
				for i, b := range bots {
					changes[i].State.Key = session.Key{Account: b.Account, Bot: b.Bot}
				}
				cache.Invalidate(changes)
			}
			for _, b := range bots {
				broker.Touch(b.Account, b.Bot)
			}
		},
	}
}

// listen hears, on a shared database, the removals of every node (its own too), until ctx ends.
func (l *lifecycle) listen(ctx context.Context, log *slog.Logger) {
	if l.db.Removals != nil {
		go l.db.Removals.ListenRemovals(ctx, l.removed, log)
	}
}

// horizon is the committer's view of the retention policy: nil when nothing expires.
func (c *serveConfig) horizon() func(account string) time.Time {
	if !c.retention.Enabled() {
		return nil
	}
	p := c.retention
	return func(account string) time.Time { return p.Horizon(account, time.Now()) }
}

// workers are the retention purge (when a retention is set) and the erasure worker.
func (l *lifecycle) workers(c serveConfig, log *slog.Logger) []worker {
	ws := []worker{{"erasure", func(ctx context.Context) (func(), error) {
		w := &erasure.Worker{Store: l.db, Batch: lifecycleBatch, Pause: lifecyclePause, Interval: 2 * time.Second,
			Wake: l.wake, Removed: l.removed, Log: log}
		if l.db.Removals != nil {
			// Other nodes clear their read caches when the removal notice reaches them, within
			// milliseconds; a second before "done" leaves them ample time.
			w.Settle = time.Second
		}
		return goUntilDone(ctx, w.Run), nil
	}}}
	if c.retention.Enabled() {
		policy := c.retention
		ws = append(ws, worker{"retention purge", func(ctx context.Context) (func(), error) {
			p := &retention.Purger{Store: l.db, Policy: &policy, Batch: lifecycleBatch, Pause: lifecyclePause,
				Removed: l.removed, Log: log}
			return goUntilDone(ctx, p.Run), nil
		}})
	}
	return ws
}

var _ erasure.UserIDs = (*privacy.Redactor)(nil)
