package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlite"
	"github.com/intentrt/intentrt/internal/store/storetest"
)

// TestConformance runs the store conformance suite on SQLite, a fresh file for every subtest.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		ctx := context.Background()
		s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "intentrt.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestAggregatesBuiltOnUpgrade: sessions stored before the aggregates existed are counted by
// the migration that creates them.
func TestAggregatesBuiltOnUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intentrt.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.SummaryAfterUpgrade(t, s, func(t *testing.T) {
		// Back to version 1, as a database of a release before the aggregates: what every
		// later migration made is dropped with its record (a new one that creates tables adds
		// them here).
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		// Back to version 1: what the aggregates migration and every later one made is dropped
		// with their records (a migration that creates tables adds them here).
		for _, q := range []string{`DROP TABLE aggregates`, `DROP TABLE aggregates_hourly`, `DROP INDEX sessions_in_progress`, `DROP TABLE accounts`, `DROP TABLE pseudonym_key`,
			`DROP TABLE webhooks`, `DROP TABLE webhook_dead_letters`, `DROP TABLE alert_rules`, `DROP TABLE alert_events`,
			`DROP TABLE erasures`, `DROP INDEX sessions_expiry`, `DROP INDEX sessions_user`, `DROP INDEX events_seen_expiry`,
			`ALTER TABLE sessions DROP COLUMN last_ns`, `ALTER TABLE sessions DROP COLUMN view`, `ALTER TABLE events_seen DROP COLUMN at_ns`,
			`DELETE FROM schema_migrations WHERE version >= 2`} {
			if _, err := raw.ExecContext(ctx, q); err != nil {
				t.Fatal(q, err)
			}
		}
	})
}
