package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"net/url"
	"strconv"
	"time"
)

// defaultAutocheckpoint is SQLite's own: the committing connection checkpoints once the WAL
// holds 1 000 pages.
const defaultAutocheckpoint = 1000

// RunCheckpoints takes WAL checkpoints out of the single writer's critical path. SQLite's
// automatic checkpoint runs inside the commit that crossed the threshold, on the one write
// connection, so every commit queued behind it waits (a tenth of the writer's time with 64
// one-event producers). Here the writer's automatic checkpoint is off and a connection of its
// own runs PASSIVE checkpoints every interval: they copy what no reader still needs into the
// database file and take no lock the writer waits for. The WAL restarts from its beginning at
// the first commit after a checkpoint that copied everything, as it would otherwise.
func (s *Store) RunCheckpoints(ctx context.Context, every time.Duration, log *slog.Logger) {
	cp, err := sql.Open("sqlite", "file:"+(&url.URL{Path: s.path}).EscapedPath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		log.Warn("wal checkpoints: the writer keeps checkpointing", "err", err)
		return
	}
	defer cp.Close()
	cp.SetMaxOpenConns(1)
	if _, err := s.w.ExecContext(ctx, "PRAGMA wal_autocheckpoint=0"); err != nil {
		log.Warn("wal checkpoints: the writer keeps checkpointing", "err", err)
		return
	}
	defer func() {
		// Back to the writer (it runs until the committer closes, after the workers).
		if _, err := s.w.ExecContext(context.WithoutCancel(ctx), "PRAGMA wal_autocheckpoint="+strconv.Itoa(defaultAutocheckpoint)); err != nil {
			log.Warn("wal checkpoints: restore the writer's", "err", err)
		}
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, _, err := checkpoint(ctx, cp); err != nil && ctx.Err() == nil {
			log.Warn("wal checkpoint", "err", err)
		}
	}
}

// checkpoint runs one PASSIVE checkpoint and returns the WAL's frames and those copied.
func checkpoint(ctx context.Context, db *sql.DB) (walFrames, copied int, err error) {
	var busy int
	err = db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &walFrames, &copied)
	return walFrames, copied, mapErr(err)
}
