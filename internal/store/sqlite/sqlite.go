// Package sqlite is the embedded storage backend: one SQLite file in WAL mode, a write pool of
// one connection (SQLite has one writer; queuing in Go is cheaper than SQLITE_BUSY retries) and a
// read pool that never blocks on it.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"sync"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is the SQLite backend.
type Store struct {
	w, r *sql.DB
	path string

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared on the single write connection

	rmu    sync.RWMutex
	rstmts map[string]*sql.Stmt // prepared on the read pool, by SQL text

	files *openedFiles // checked by Ping and before every write: still the files opened?
}

// maxReadStmts bounds the read statements kept prepared: the read API's filters make a
// different SQL text for each combination of list lengths, and those beyond the bound (rare
// shapes) are simply prepared for each query.
const maxReadStmts = 256

// readStmt returns the read pool's prepared statement for query, preparing it on first use, or
// nil when the cache is full or preparing failed (the caller then queries unprepared, and sees
// the error there). Preparing once saves SQLite's parse and plan on every read; database/sql
// re-prepares it on each pooled connection as needed.
func (s *Store) readStmt(ctx context.Context, query string) *sql.Stmt {
	s.rmu.RLock()
	st, ok := s.rstmts[query]
	s.rmu.RUnlock()
	if ok {
		return st
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if st, ok := s.rstmts[query]; ok {
		return st
	}
	if len(s.rstmts) >= maxReadStmts {
		return nil
	}
	st, err := s.r.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	s.rstmts[query] = st
	return st
}

var _ store.Store = (*Store)(nil)
var _ store.Migrator = (*Store)(nil)
var _ store.Checkpointer = (*Store)(nil)

// Open opens (creating if needed) the database file at path. It does not touch the schema; the
// caller decides whether to migrate (see SchemaVersion and Migrate).
func Open(ctx context.Context, path string) (*Store, error) {
	// busy_timeout comes first so that it already applies while the other pragmas run.
	// synchronous(FULL) makes every commit fsync the WAL: an acknowledged event survives a crash.
	pragmas := []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)"}
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, mapErr(err))
	}
	q.Set("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "query_only(1)")
	q.Del("_txlock")
	r, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	files := watchFiles(path)
	return &Store{w: w, r: r, path: path, stmts: map[string]*sql.Stmt{}, rstmts: map[string]*sql.Stmt{}, files: files}, nil
}

// Close closes both pools.
func (s *Store) Close() error {
	s.mu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = map[string]*sql.Stmt{}
	s.mu.Unlock()
	s.rmu.Lock()
	for _, st := range s.rstmts {
		st.Close()
	}
	s.rstmts = map[string]*sql.Stmt{}
	s.rmu.Unlock()
	return errors.Join(s.r.Close(), s.w.Close())
}

// Ping checks that the files are still those opened and can be read.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.files.check(); err != nil {
		return err
	}
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return mapErr(err)
	}
	return nil
}

// prepare returns the statements prepared once on the write connection. It must run outside a
// transaction: the pool has one connection, which a transaction holds. Preparing once matters:
// the ingest path runs the same statements for every event.
func (s *Store) prepare(ctx context.Context, queries ...string) ([]*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*sql.Stmt, len(queries))
	for i, q := range queries {
		st, ok := s.stmts[q]
		if !ok {
			var err error
			if st, err = s.w.PrepareContext(ctx, q); err != nil {
				return nil, err
			}
			s.stmts[q] = st
		}
		out[i] = st
	}
	return out, nil
}

// SchemaVersion returns the applied and the expected schema versions.
func (s *Store) SchemaVersion(ctx context.Context) (have, want int, err error) {
	ms, err := sqlrow.LoadMigrations(migrationFS, "migrations")
	if err != nil {
		return 0, 0, err
	}
	want = len(ms)
	var exists int
	if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_migrations'`).Scan(&exists); err != nil {
		return 0, want, mapErr(err)
	}
	if exists == 0 {
		return 0, want, nil
	}
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return 0, want, mapErr(err)
	}
	return have, want, nil
}

// Migrate applies the migrations the database lacks, each in its own transaction together with
// the record of its version, so a crash leaves the schema at a known step.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := sqlrow.LoadMigrations(migrationFS, "migrations")
	if err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", mapErr(err))
	}
	have, _, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	for _, m := range ms[min(have, len(ms)):] {
		if err := s.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// rebuilds are the steps in Go that follow a migration in its transaction: what the migration's
// SQL cannot compute itself for the sessions already stored.
var rebuilds = map[string]func(context.Context, *sql.Tx) error{
	aggregatesMigration: rebuildAggregates,
	viewMigration:       rebuildViews,
}

func (s *Store) apply(ctx context.Context, m sqlrow.Migration) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, mapErr(err))
	}
	if rebuild := rebuilds[m.Name]; rebuild != nil {
		if err := rebuild(ctx, tx); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.Version, m.Name); err != nil {
		return fmt.Errorf("record migration %s: %w", m.Name, mapErr(err))
	}
	return tx.Commit()
}

// mapErr turns SQLite's error codes into the store's errors, keeping the cause for the log.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		}
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN:
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
	}
	if errors.Is(err, errDBClosed) || errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// errDBClosed is database/sql's "sql: database is closed", which the package does not export.
// It is taken once from a handle that is closed before it ever connects, so that mapErr
// recognises it by identity rather than by its text.
var errDBClosed = func() error {
	db := sql.OpenDB(neverConnector{})
	db.Close()
	return db.PingContext(context.Background())
}()

// neverConnector is a driver.Connector for errDBClosed; it is never asked to connect.
type neverConnector struct{}

func (neverConnector) Connect(context.Context) (driver.Conn, error) { return nil, driver.ErrBadConn }
func (neverConnector) Driver() driver.Driver                        { return nil }
