package postgres_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/postgres"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/store/storetest"
)

// TestConformance runs the store conformance suite on a real PostgreSQL, a fresh database for
// every subtest.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		ctx := context.Background()
		s, err := postgres.Open(ctx, pgtest.DSN(t), postgres.Options{})
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

// TestUnreachableIsUnavailable: a database that cannot be reached is store.ErrUnavailable (a 503
// that tells clients to retry), never an unclassified error (a 500).
func TestUnreachableIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = postgres.Open(context.Background(), "postgres://postgres@"+addr+"/none?sslmode=disable", postgres.Options{})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("open on a closed port: %v, want ErrUnavailable", err)
	}
}

// TestClosedIsUnavailable: every operation of a store whose connections are gone reports
// ErrUnavailable.
func TestClosedIsUnavailable(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.DSN(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	checks := map[string]error{
		"ping": s.Ping(ctx),
		"apply": func() error {
			_, _, err := s.Apply(ctx, []session.Batch{{Account: "a", Bot: "b"}})
			return err
		}(),
		"latest": func() error { _, err := s.Latest(ctx, session.Query{Account: "a", Bot: "b"}); return err }(),
		"head":   func() error { _, err := s.Head(ctx); return err }(),
		"app":    func() error { _, err := s.App(ctx, "cs-x"); return err }(),
		"jti":    s.UseJTI(ctx, "c", "j", time.Now()),
	}
	for name, err := range checks {
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s on a closed store: %v, want ErrUnavailable", name, err)
		}
	}
}

// TestAggregatesBuiltOnUpgrade: sessions stored before the aggregates existed are counted by
// the migration that creates them.
func TestAggregatesBuiltOnUpgrade(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.SummaryAfterUpgrade(t, s, func(t *testing.T) {
		// Back to version 2, as a database of a release before the aggregates: what every
		// later migration made is dropped with its record (a new one that creates tables adds
		// them here).
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		// Back to version 2: what the aggregates migration and every later one made is dropped
		// with their records (a migration that creates tables adds them here).
		for _, q := range []string{`DROP TABLE aggregates`, `DROP TABLE aggregates_hourly`, `DROP INDEX sessions_in_progress`, `DROP TABLE accounts, pseudonym_key`,
			`DROP TABLE webhooks, webhook_dead_letters, leases, alert_rules, alert_events`,
			`DROP TABLE erasures`, `DROP INDEX sessions_expiry, sessions_user, events_seen_expiry`,
			`ALTER TABLE sessions DROP COLUMN last_ns`, `ALTER TABLE sessions DROP COLUMN view`, `ALTER TABLE events_seen DROP COLUMN at_ns`,
			`DELETE FROM schema_migrations WHERE version >= 3`} {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatal(q, err)
			}
		}
	})
}
