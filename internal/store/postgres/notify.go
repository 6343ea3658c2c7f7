package postgres

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

// Listen calls onChange with the bots of each commit of any node (Apply's NOTIFY), until ctx
// ends. After each (re)connection it calls onChange once with nothing named, since
// notifications sent while it was away are lost. It is a latency path only: the change feed
// also polls, so a missed notification delays a session, never loses it.
func (s *Store) Listen(ctx context.Context, onChange func(store.Changed), log *slog.Logger) {
	s.listen(ctx, ChangesChannel, func() { onChange(store.Changed{}) }, func(payload string) {
		onChange(parseChanged(payload))
	}, log)
}

// maxPayload is the longest notification PostgreSQL accepts (8 000 bytes, less one), which
// the channel's payload is held under.
const maxPayload = 7999

// changesPayload is Apply's notification: JSON naming the bots of changes ({"b":[[account,
// bot],...]}: ids may hold any printable character, so no separator would do). When the bots
// would not fit NOTIFY's limit, it names their accounts ({"a":[...]}), and when those would
// not either, everything ({"all":true}): a node then drops more than it must, which costs it
// a storage read per bot, never a stale answer.
func changesPayload(changes []session.Change) string {
	var bots [][2]string
	var accounts []string
	seenBot := map[[2]string]bool{}
	seenAccount := map[string]bool{}
	for _, ch := range changes {
		b := [2]string{ch.State.Account, ch.State.Bot}
		if n := len(bots); n > 0 && bots[n-1] == b {
			continue // a batch's changes are of one bot
		}
		if !seenBot[b] {
			seenBot[b] = true
			bots = append(bots, b)
		}
		if !seenAccount[b[0]] {
			seenAccount[b[0]] = true
			accounts = append(accounts, b[0])
		}
	}
	if p, _ := json.Marshal(changesNotice{Bots: bots}); len(p) <= maxPayload {
		return string(p)
	}
	if p, _ := json.Marshal(changesNotice{Accounts: accounts}); len(p) <= maxPayload {
		return string(p)
	}
	return `{"all":true}`
}

// changesNotice is the payload's shape.
type changesNotice struct {
	Bots     [][2]string `json:"b,omitempty"`
	Accounts []string    `json:"a,omitempty"`
	All      bool        `json:"all,omitempty"`
}

// parseChanged reads a payload of changesPayload. One it cannot read (a node of another
// version) names everything: dropping too much is safe, keeping a stale answer is not.
func parseChanged(payload string) store.Changed {
	var n changesNotice
	if err := json.Unmarshal([]byte(payload), &n); err != nil || (n.Bots == nil && n.Accounts == nil) {
		return store.Changed{All: true}
	}
	c := store.Changed{Accounts: n.Accounts}
	for _, b := range n.Bots {
		c.Bots = append(c.Bots, store.BotRef{Account: b[0], Bot: b[1]})
	}
	return c
}

// listen delivers the payloads of one LISTEN/NOTIFY channel to onNotify until ctx ends. It holds
// one connection of its own outside the pool (a LISTEN lives on one session) and reconnects by
// itself, with backoff, when the database comes back, calling onConnect (if any) each time.
func (s *Store) listen(ctx context.Context, channel string, onConnect func(), onNotify func(payload string), log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	backoff := 100 * time.Millisecond
	failing := false
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, channel, onNotify, func() {
			backoff = 100 * time.Millisecond
			if failing {
				failing = false
				log.Info("listen: connected again", "channel", channel)
			}
			if onConnect != nil {
				onConnect()
			}
		})
		if ctx.Err() != nil {
			return
		}
		if !failing {
			failing = true
			log.Warn("listen: connection lost; reconnecting", "channel", channel, "err", mapErr(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context, channel string, onNotify func(string), connected func()) error {
	cctx, cancel := context.WithTimeout(ctx, s.opts.OpTimeout)
	conn, err := pgx.ConnectConfig(cctx, s.cfg.ConnConfig.Copy())
	if err == nil {
		_, err = conn.Exec(cctx, "LISTEN "+channel)
	}
	cancel()
	if conn != nil {
		defer func() {
			c, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			conn.Close(c)
		}()
	}
	if err != nil {
		return err
	}
	connected()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		onNotify(n.Payload)
	}
}
