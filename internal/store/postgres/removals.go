package postgres

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/intentrt/intentrt/internal/store"
)

// RemovedChannel is the LISTEN/NOTIFY channel on which a purge or erasure step names each bot
// whose sessions it removed. The notification is sent inside the step's transaction, so it is
// delivered at commit, once the sessions are gone for every reader.
const RemovedChannel = "intentrt_removed"

const qNotifyRemoved = `SELECT pg_notify('` + RemovedChannel + `', $1)`

// removedPayload is one bot as JSON: ids may hold any printable character, so no separator
// would do. Ids are at most 128 bytes, well inside NOTIFY's 8 000.
func removedPayload(b store.BotRef) string {
	p, _ := json.Marshal([2]string{b.Account, b.Bot})
	return string(p)
}

// ListenRemovals calls onRemoved for every bot any node's purge or erasure step removed
// sessions of, until ctx ends, on a connection of its own, reconnecting with backoff. A
// notification lost while disconnected only delays a summary notice: storage no longer holds
// the sessions, and no node of a shared database keeps reads in memory beyond that.
func (s *Store) ListenRemovals(ctx context.Context, onRemoved func([]store.BotRef), log *slog.Logger) {
	s.listen(ctx, RemovedChannel, nil, func(payload string) {
		var b [2]string
		if json.Unmarshal([]byte(payload), &b) == nil {
			onRemoved([]store.BotRef{{Account: b[0], Bot: b[1]}})
		}
	}, log)
}
