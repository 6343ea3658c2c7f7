package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlite"
)

// DefaultDB is the embedded default database file.
const DefaultDB = "./intentrt.db"

// versionedStore is a store whose schema is versioned: what every backend is.
type versionedStore interface {
	store.Store
	store.Migrator
}

// backend is an open store and what it offers beyond store.Store. A capability the backend
// lacks is nil (or false); serve starts what each one it has enables. To add a capability:
// define its interface in package store, implement it on the backends that have it, add a
// field here and set it in openDB, then use it in buildServer.
type backend struct {
	versionedStore
	// Changes announces the commits of every node sharing the store (PostgreSQL). Set, the
	// store is shared: the live stream is fed from storage's change feed.
	Changes store.ChangeNotifier
	// Nodes counts the nodes sharing the store (PostgreSQL), to divide the rate limit.
	Nodes store.NodeRegistry
	// Leases hands out expiring named leases (PostgreSQL), so that one node at a time delivers
	// each webhook; nil means this node is the only one and delivers them all.
	Leases store.Leaser
	// Removals announces the bots whose sessions another node's purge or erasure removed
	// (PostgreSQL), so that this node's caches and summary subscribers hear of it.
	Removals store.RemovalNotifier
	// SoleWriter means this process is the store's only writer (embedded SQLite, guarded by
	// the serve lock), so that a read cache invalidated by its own commits is exact.
	SoleWriter bool
	// Checkpoints, when set, moves the store's WAL checkpoints off its writer (SQLite).
	Checkpoints store.Checkpointer
}

// openDB opens the storage named by dsn: a file path or sqlite:// URL, or postgres://.
func openDB(ctx context.Context, dsn string) (*backend, error) {
	if isPostgres(dsn) {
		return openPostgres(ctx, dsn)
	}
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, err
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return &backend{versionedStore: s, SoleWriter: true, Checkpoints: s}, nil
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// sqlitePath returns the file of a SQLite --db: a plain path or a sqlite:// URL.
func sqlitePath(dsn string) (string, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite://"), strings.HasPrefix(dsn, "sqlite:"):
		u, err := url.Parse(dsn)
		if err != nil {
			return "", &usageError{fmt.Sprintf("--db %q: %v", dsn, err)}
		}
		path := u.Opaque
		if path == "" {
			path = u.Host + u.Path
		}
		if path == "" {
			return "", &usageError{fmt.Sprintf("--db %q: no file path", dsn)}
		}
		return path, nil
	case strings.Contains(dsn, "://"):
		return "", &usageError{fmt.Sprintf("--db %q: use a file path, sqlite://PATH or postgres://...", dsn)}
	default:
		return dsn, nil
	}
}

// openReady opens the storage for serving: a new, empty database is created at the binary's
// schema; an existing one must already be at it ("intentrt migrate" upgrades it), because
// upgrading a shared database is an operator's decision, not a side effect of starting a node.
func openReady(ctx context.Context, dsn string) (*backend, error) {
	db, err := openDB(ctx, dsn)
	if err != nil {
		return nil, err
	}
	have, want, err := db.SchemaVersion(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case have == 0:
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("create schema: %w", err)
		}
	case have < want:
		db.Close()
		return nil, fmt.Errorf("%w (database at version %d, binary expects %d): run \"intentrt migrate --db ...\" first", store.ErrSchemaOutdated, have, want)
	case have > want:
		db.Close()
		return nil, fmt.Errorf("%w (database at version %d, binary expects %d): use a newer intentrt", store.ErrSchemaTooNew, have, want)
	}
	return db, nil
}

// appLookup adapts the store to the auth package's view of apps.
func appLookup(s store.Apps) func(ctx context.Context, clientID string) (auth.App, error) {
	return func(ctx context.Context, clientID string) (auth.App, error) {
		app, err := s.App(ctx, clientID)
		if errors.Is(err, store.ErrNotFound) {
			return auth.App{}, auth.ErrUnknownApp
		}
		return app, err
	}
}

// jtiRecorder adapts the store's JTI table to the auth package.
type jtiRecorder struct{ s store.Apps }

func (j jtiRecorder) UseJTI(ctx context.Context, clientID, jti string, expires time.Time) error {
	err := j.s.UseJTI(ctx, clientID, jti, expires)
	if errors.Is(err, store.ErrConflict) {
		return auth.ErrJTIUsed
	}
	return err
}
