package sqlite

import (
	"context"
	"fmt"

	"github.com/intentrt/intentrt/internal/alert"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

// CreateAlertRule stores a new rule; ErrConflict if the id is taken.
func (s *Store) CreateAlertRule(ctx context.Context, r alert.Rule) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO alert_rules (`+sqlrow.RuleColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, sqlrow.RuleArgs(r)...)
	return mapErr(err)
}

// ListAlertRules returns every rule with its state, oldest first.
func (s *Store) ListAlertRules(ctx context.Context) ([]alert.Rule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqlrow.RuleColumns+` FROM alert_rules ORDER BY created_at, id`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanRule)
	return out, mapErr(err)
}

// DeleteAlertRule deletes a rule; its past events stay in the alert feed.
func (s *Store) DeleteAlertRule(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM alert_rules WHERE id = ?`, id)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("alert %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// RecordAlert stores a rule's state and appends ev to the alert feed in one transaction.
func (s *Store) RecordAlert(ctx context.Context, id string, st alert.State, ev *alert.Event) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE alert_rules SET firing = ?, since_ns = ?, last_value = ?, last_sessions = ?, evaluated_ns = ? WHERE id = ?`,
		append(sqlrow.RuleStateArgs(st), id)...)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("alert %q: %w", id, store.ErrNotFound)
	}
	if ev != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_events (account, bot, rule_id, at_ns, body) VALUES (?, ?, ?, ?, ?)`,
			ev.Account, ev.Bot, ev.RuleID, ev.At.UnixNano(), string(ev.Body)); err != nil {
			return mapErr(err)
		}
	}
	return mapErr(tx.Commit())
}

// AlertEventsSince reads the alert feed of one bot, or of every bot of an account.
func (s *Store) AlertEventsSince(ctx context.Context, account, bot string, after int64, limit int) ([]alert.Event, error) {
	q := `SELECT ` + sqlrow.AlertEventColumns + ` FROM alert_events WHERE account = ? AND bot = ? AND seq > ? ORDER BY seq LIMIT ?`
	args := []any{account, bot, after, limit}
	if bot == "" {
		q = `SELECT ` + sqlrow.AlertEventColumns + ` FROM alert_events WHERE account = ? AND seq > ? ORDER BY seq LIMIT ?`
		args = []any{account, after, limit}
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanAlertEvent)
	return out, mapErr(err)
}

// AlertHead returns the newest position of the alert feed (0 when empty).
func (s *Store) AlertHead(ctx context.Context) (int64, error) {
	var head int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM alert_events`).Scan(&head)
	return head, mapErr(err)
}
