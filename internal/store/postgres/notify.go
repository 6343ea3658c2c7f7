package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listen calls onChange whenever any node commits new cursors (Apply's NOTIFY), until ctx ends.
// After each (re)connection it calls onChange once, since notifications sent while it was away
// are lost. It is a latency path only: the change feed also polls, so a missed notification
// delays a session, never loses it.
func (s *Store) Listen(ctx context.Context, onChange func(), log *slog.Logger) {
	s.listen(ctx, ChangesChannel, onChange, func(string) { onChange() }, log)
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
