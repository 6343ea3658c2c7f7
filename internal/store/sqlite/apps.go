package sqlite

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
	if err := s.files.check(); err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO apps (`+appColumns+`) VALUES (?,?,?,?,?,?,?,?,?)`, args...)
	return mapErr(err)
}

// App looks an app up by client id.
func (s *Store) App(ctx context.Context, clientID string) (auth.App, error) {
	app, err := sqlrow.ScanApp(s.r.QueryRowContext(ctx, `SELECT `+appColumns+` FROM apps WHERE client_id = ?`, clientID))
	return app, mapErr(err)
}

// ListApps returns every app, oldest first.
func (s *Store) ListApps(ctx context.Context) ([]auth.App, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+appColumns+` FROM apps ORDER BY created_at, client_id`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanApp)
	return out, mapErr(err)
}

// RevokeApp marks an app revoked; revoking twice keeps the first time.
func (s *Store) RevokeApp(ctx context.Context, clientID string, at time.Time) error {
	if err := s.files.check(); err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE apps SET revoked_at = COALESCE(revoked_at, ?) WHERE client_id = ?`, at.UnixNano(), clientID)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("app %q: %w", clientID, store.ErrNotFound)
	}
	return nil
}

// UseJTI records a token id; the primary key turns a replay into ErrConflict.
func (s *Store) UseJTI(ctx context.Context, clientID, jti string, expires time.Time) error {
	if err := s.files.check(); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO used_jtis (client_id, jti, expires_at) VALUES (?, ?, ?)`, clientID, jti, expires.UnixNano())
	return mapErr(err)
}

// PurgeJTIs forgets expired token ids.
func (s *Store) PurgeJTIs(ctx context.Context, before time.Time) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM used_jtis WHERE expires_at < ?`, before.UnixNano())
	return mapErr(err)
}
