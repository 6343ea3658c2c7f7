package sqlite_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/sqlite"
)

// With the checkpoint worker running, the writer no longer checkpoints, yet the WAL's content
// reaches the database file (the worker's checkpoints), every row stays readable, and when the
// worker stops the writer checkpoints again.
func TestRunCheckpoints(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.RunCheckpoints(wctx, 5*time.Millisecond, slog.New(slog.DiscardHandler))
	}()
	before := size(path)
	base := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	const n = 3000
	for i := 0; i < n; i += 100 {
		batch := session.Batch{Account: "acct", Bot: "st-bot"}
		for j := i; j < i+100; j++ {
			batch.Events = append(batch.Events, perfEvent("c-", j, base.Add(time.Duration(j)*time.Second)))
		}
		if _, _, err := s.Apply(ctx, []session.Batch{batch}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for size(path) <= before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if size(path) <= before {
		t.Fatalf("the database file stayed at %d bytes: nothing was checkpointed", before)
	}
	stop()
	<-done
	got, err := s.Latest(ctx, session.Query{Account: "acct", Bot: "st-bot", Limit: n})
	if err != nil || len(got) != n {
		t.Fatalf("read %d sessions (%v), want %d", len(got), err, n)
	}
}
