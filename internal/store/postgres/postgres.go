// Package postgres is the storage backend for several intentrt nodes sharing one PostgreSQL
// database (or a PostgreSQL-compatible one). It uses a pgx connection pool; every operation runs
// under a deadline so that a database that stops answering turns into store.ErrUnavailable (a
// 503) instead of requests that hang.
package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Defaults of Options.
const (
	DefaultOpTimeout      = 10 * time.Second
	DefaultConnectTimeout = 3 * time.Second
)

// Options tune the backend; the zero value is sensible.
type Options struct {
	// OpTimeout bounds one operation whose context carries no deadline of its own (the group
	// committer's writes, the feed's reads).
	OpTimeout time.Duration
	// ConnectTimeout bounds dialing a new connection, unless the DSN sets connect_timeout.
	ConnectTimeout time.Duration
}

// Store is the PostgreSQL backend.
type Store struct {
	pool *pgxpool.Pool
	cfg  *pgxpool.Config
	opts Options
}

var _ store.Store = (*Store)(nil)
var _ store.Migrator = (*Store)(nil)

// Open connects a pool to the database named by dsn (postgres://...). It does not touch the
// schema; the caller decides whether to migrate. The database must answer now: a node that
// starts against an unreachable database fails loudly rather than serving 503s.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.OpTimeout <= 0 {
		opts.OpTimeout = DefaultOpTimeout
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse postgres DSN: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	}
	// Idle connections are checked often, so that connections cut by a network fault are
	// replaced before a request trips over them.
	cfg.HealthCheckPeriod = 5 * time.Second
	cfg.PingTimeout = 2 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", mapErr(err))
	}
	s := &Store{pool: pool, cfg: cfg, opts: opts}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var one int
	return mapErr(s.pool.QueryRow(ctx, `SELECT 1`).Scan(&one))
}

// op gives ctx the store's deadline when it has none.
func (s *Store) op(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.opts.OpTimeout)
}

// SchemaVersion returns the applied and the expected schema versions.
func (s *Store) SchemaVersion(ctx context.Context) (have, want int, err error) {
	ms, err := sqlrow.LoadMigrations(migrationFS, "migrations")
	if err != nil {
		return 0, 0, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	have, err = schemaVersion(ctx, s.pool)
	return have, len(ms), err
}

// querier is what a pool and a transaction have in common.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_name = 'schema_migrations')`).Scan(&exists); err != nil {
		return 0, mapErr(err)
	}
	if !exists {
		return 0, nil
	}
	var have int
	if err := q.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return 0, mapErr(err)
	}
	return have, nil
}

// migrateLock is the advisory lock key that keeps two nodes starting on a new database from
// creating the schema at the same time ("intentrt" in ASCII).
const migrateLock = 0x696e74656e747274

// rebuilds are the steps in Go that follow a migration in its transaction: what the migration's
// SQL cannot compute itself for the sessions already stored.
var rebuilds = map[string]func(context.Context, pgx.Tx) error{
	aggregatesMigration: rebuildAggregates,
	viewMigration:       rebuildViews,
}

// Migrate applies the migrations the database lacks, all in one transaction (PostgreSQL's DDL is
// transactional) under an advisory lock, so a crash or a second node leaves the schema at a
// known step.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := sqlrow.LoadMigrations(migrationFS, "migrations")
	if err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
		return fmt.Errorf("lock schema: %w", mapErr(err))
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", mapErr(err))
	}
	have, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	for _, m := range ms[min(have, len(ms)):] {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, mapErr(err))
		}
		if rebuild := rebuilds[m.Name]; rebuild != nil {
			if err := rebuild(ctx, tx); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return fmt.Errorf("record migration %s: %w", m.Name, mapErr(err))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit migrations: %w", mapErr(err))
	}
	return nil
}
