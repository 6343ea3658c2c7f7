package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlite"
)

func openMigrated(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func oneEvent(id string) []session.Batch {
	at := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)
	return []session.Batch{{Account: "a", Bot: "b", Events: []session.Event{{
		Type: session.TypeStarted, SessionID: id, Time: at, Channel: "rtm",
	}}}}
}

// TestFilesGoneOrReplaced: once the database's files are deleted, or the database file is
// replaced by another, under an open store, Ping and every write answer ErrUnavailable and
// nothing more is committed, instead of succeeding into files no restart will see.
func TestFilesGoneOrReplaced(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, path string)
	}{
		{"deleted", func(t *testing.T, path string) {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(path + suffix); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"log deleted", func(t *testing.T, path string) {
			if err := os.Remove(path + "-wal"); err != nil {
				t.Fatal(err)
			}
		}},
		{"replaced", func(t *testing.T, path string) {
			other := filepath.Join(t.TempDir(), "other.db")
			openMigrated(t, other).Close()
			if err := os.Rename(other, path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "live.db")
			s := openMigrated(t, path)
			if _, _, err := s.Apply(ctx, oneEvent("before")); err != nil {
				t.Fatal(err)
			}
			if err := s.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			tc.spoil(t, path)
			if err := s.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("ping: %v, want ErrUnavailable", err)
			}
			if _, _, err := s.Apply(ctx, oneEvent("after")); !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("apply: %v, want ErrUnavailable", err)
			}
			app, err := auth.NewApp("a", nil, true, auth.Scopes, false, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateApp(ctx, app); !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("create app: %v, want ErrUnavailable", err)
			}
		})
	}
}
