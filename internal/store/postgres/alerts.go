package postgres

import (
	"context"
	"fmt"

	"github.com/intentrt/intentrt/internal/alert"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

// CreateAlertRule stores a new rule; ErrConflict if the id is taken.
func (s *Store) CreateAlertRule(ctx context.Context, r alert.Rule) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO alert_rules (`+sqlrow.RuleColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`, sqlrow.RuleArgs(r)...)
	return mapErr(err)
}

// ListAlertRules returns every rule with its state, oldest first.
func (s *Store) ListAlertRules(ctx context.Context) ([]alert.Rule, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.RuleColumns+` FROM alert_rules ORDER BY created_at, id`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanRule)
	return out, mapErr(err)
}

// DeleteAlertRule deletes a rule; its past events stay in the alert feed.
func (s *Store) DeleteAlertRule(ctx context.Context, id string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM alert_rules WHERE id = $1`, id)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("alert %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// RecordAlert stores a rule's state and appends ev to the alert feed in one transaction.
func (s *Store) RecordAlert(ctx context.Context, id string, st alert.State, ev *alert.Event) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return mapErr(err)
	}
	defer rollback(tx)
	tag, err := tx.Exec(ctx, `UPDATE alert_rules SET firing = $1, since_ns = $2, last_value = $3, last_sessions = $4, evaluated_ns = $5 WHERE id = $6`,
		append(sqlrow.RuleStateArgs(st), id)...)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("alert %q: %w", id, store.ErrNotFound)
	}
	if ev != nil {
		if _, err := tx.Exec(ctx, `INSERT INTO alert_events (account, bot, rule_id, at_ns, body) VALUES ($1, $2, $3, $4, $5)`,
			ev.Account, ev.Bot, ev.RuleID, ev.At.UnixNano(), string(ev.Body)); err != nil {
			return mapErr(err)
		}
	}
	return mapErr(tx.Commit(ctx))
}

// AlertEventsSince reads the alert feed of one bot, or of every bot of an account.
func (s *Store) AlertEventsSince(ctx context.Context, account, bot string, after int64, limit int) ([]alert.Event, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	q := `SELECT ` + sqlrow.AlertEventColumns + ` FROM alert_events WHERE account = $1 AND bot = $2 AND seq > $3 ORDER BY seq LIMIT $4`
	args := []any{account, bot, after, limit}
	if bot == "" {
		q = `SELECT ` + sqlrow.AlertEventColumns + ` FROM alert_events WHERE account = $1 AND seq > $2 ORDER BY seq LIMIT $3`
		args = []any{account, after, limit}
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanAlertEvent)
	return out, mapErr(err)
}

// AlertHead returns the newest position of the alert feed (0 when empty).
func (s *Store) AlertHead(ctx context.Context) (int64, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var head int64
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM alert_events`).Scan(&head)
	return head, mapErr(err)
}
