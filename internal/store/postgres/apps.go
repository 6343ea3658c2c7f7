package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

const appColumns = `client_id, client_secret, account, bots, all_bots, scopes, enforce_jti, created_at, revoked_at`

// CreateApp stores a new app; ErrConflict if the client id is taken.
func (s *Store) CreateApp(ctx context.Context, app auth.App) error {
	args, err := sqlrow.AppArgs(app)
	if err != nil {
		return err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err = s.pool.Exec(ctx, `INSERT INTO apps (`+appColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, args...)
	return mapErr(err)
}

// App looks an app up by client id. Every node reads the shared table, so a revocation through
// one node reaches the others as soon as their app caches expire.
func (s *Store) App(ctx context.Context, clientID string) (auth.App, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	app, err := sqlrow.ScanApp(s.pool.QueryRow(ctx, `SELECT `+appColumns+` FROM apps WHERE client_id = $1`, clientID))
	return app, mapErr(err)
}

// ListApps returns every app, oldest first.
func (s *Store) ListApps(ctx context.Context) ([]auth.App, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+appColumns+` FROM apps ORDER BY created_at, client_id`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanApp)
	return out, mapErr(err)
}

// RevokeApp marks an app revoked; revoking twice keeps the first time.
func (s *Store) RevokeApp(ctx context.Context, clientID string, at time.Time) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE apps SET revoked_at = COALESCE(revoked_at, $1) WHERE client_id = $2`, at.UnixNano(), clientID)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("app %q: %w", clientID, store.ErrNotFound)
	}
	return nil
}

// UseJTI records a token id; the primary key turns a replay, through any node, into ErrConflict.
func (s *Store) UseJTI(ctx context.Context, clientID, jti string, expires time.Time) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO used_jtis (client_id, jti, expires_at) VALUES ($1, $2, $3)`, clientID, jti, expires.UnixNano())
	return mapErr(err)
}

// PurgeJTIs forgets expired token ids.
func (s *Store) PurgeJTIs(ctx context.Context, before time.Time) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `DELETE FROM used_jtis WHERE expires_at < $1`, before.UnixNano())
	return mapErr(err)
}
