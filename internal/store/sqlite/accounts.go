package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/intentrt/intentrt/internal/privacy"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

// SetAccountPolicy creates or replaces the account's policy.
func (s *Store) SetAccountPolicy(ctx context.Context, account string, p privacy.Policy, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO accounts (`+sqlrow.AccountColumns+`) VALUES (?,?,?,?,?)
		ON CONFLICT (account) DO UPDATE SET ani_mode = excluded.ani_mode, dni_mode = excluded.dni_mode,
		user_id_mode = excluded.user_id_mode, updated_at = excluded.updated_at`, sqlrow.AccountArgs(account, p, at)...)
	return mapErr(err)
}

// AccountPolicy returns the account's policy, keep-all when it has none.
func (s *Store) AccountPolicy(ctx context.Context, account string) (privacy.Policy, error) {
	a, err := sqlrow.ScanAccount(s.r.QueryRowContext(ctx, `SELECT `+sqlrow.AccountColumns+` FROM accounts WHERE account = ?`, account))
	if errors.Is(err, sql.ErrNoRows) {
		return privacy.Policy{}.Normal(), nil
	}
	if err != nil {
		return privacy.Policy{}, mapErr(err)
	}
	return a.Policy, nil
}

// ListAccounts returns every account with settings, by id.
func (s *Store) ListAccounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqlrow.AccountColumns+` FROM accounts ORDER BY account`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanAccount)
	return out, mapErr(err)
}

// PseudonymKey returns the database's pseudonym key.
func (s *Store) PseudonymKey(ctx context.Context) ([]byte, error) {
	var key []byte
	if err := s.r.QueryRowContext(ctx, `SELECT key FROM pseudonym_key WHERE id = 1`).Scan(&key); err != nil {
		return nil, fmt.Errorf("read pseudonym key: %w", mapErr(err))
	}
	return key, nil
}
