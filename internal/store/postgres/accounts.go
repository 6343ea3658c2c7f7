package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/privacy"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

// SetAccountPolicy creates or replaces the account's policy. Every node reads the shared
// table, so the change reaches them as their policy caches expire.
func (s *Store) SetAccountPolicy(ctx context.Context, account string, p privacy.Policy, at time.Time) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO accounts (`+sqlrow.AccountColumns+`) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (account) DO UPDATE SET ani_mode = excluded.ani_mode, dni_mode = excluded.dni_mode,
		user_id_mode = excluded.user_id_mode, updated_at = excluded.updated_at`, sqlrow.AccountArgs(account, p, at)...)
	return mapErr(err)
}

// AccountPolicy returns the account's policy, keep-all when it has none.
func (s *Store) AccountPolicy(ctx context.Context, account string) (privacy.Policy, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	a, err := sqlrow.ScanAccount(s.pool.QueryRow(ctx, `SELECT `+sqlrow.AccountColumns+` FROM accounts WHERE account = $1`, account))
	if errors.Is(err, pgx.ErrNoRows) {
		return privacy.Policy{}.Normal(), nil
	}
	if err != nil {
		return privacy.Policy{}, mapErr(err)
	}
	return a.Policy, nil
}

// ListAccounts returns every account with settings, by id.
func (s *Store) ListAccounts(ctx context.Context) ([]store.Account, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.AccountColumns+` FROM accounts ORDER BY account`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanAccount)
	return out, mapErr(err)
}

// PseudonymKey returns the database's pseudonym key.
func (s *Store) PseudonymKey(ctx context.Context) ([]byte, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var key []byte
	if err := s.pool.QueryRow(ctx, `SELECT key FROM pseudonym_key WHERE id = 1`).Scan(&key); err != nil {
		return nil, fmt.Errorf("read pseudonym key: %w", mapErr(err))
	}
	return key, nil
}
