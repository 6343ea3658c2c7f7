package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

// PurgeExpired removes one batch of expired sessions and seen keys in one short transaction on
// the write connection: the committer waits for at most one batch.
func (s *Store) PurgeExpired(ctx context.Context, rule store.PurgeRule, limit int) (store.Removed, error) {
	var out store.Removed
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return out, mapErr(err)
	}
	defer tx.Rollback()
	acct, args := ruleSQL(rule)
	before := rule.Before.UnixNano()
	states, err := collectStates(ctx, tx, `SELECT `+sqlrow.SessionColumns+` FROM sessions
		WHERE coalesce(end_ns, last_ns) < ?`+acct+` LIMIT `+strconv.Itoa(limit), append([]any{before}, args...)...)
	if err != nil {
		return out, err
	}
	if out.Bots, err = removeStates(ctx, tx, states); err != nil {
		return out, err
	}
	out.Sessions = len(states)
	res, err := tx.ExecContext(ctx, `DELETE FROM events_seen WHERE (account, bot, key) IN
		(SELECT account, bot, key FROM events_seen WHERE at_ns < ?`+acct+` LIMIT `+strconv.Itoa(limit)+`)`,
		append([]any{before}, args...)...)
	if err != nil {
		return out, fmt.Errorf("purge seen keys: %w", mapErr(err))
	}
	n, _ := res.RowsAffected()
	out.Keys = int(n)
	return out, mapErr(tx.Commit())
}

// ruleSQL is the account condition of a purge rule, to append to a WHERE clause.
func ruleSQL(rule store.PurgeRule) (string, []any) {
	if rule.Account != "" {
		return " AND account = ?", []any{rule.Account}
	}
	if len(rule.Except) == 0 {
		return "", nil
	}
	args := make([]any, len(rule.Except))
	for i, a := range rule.Except {
		args[i] = a
	}
	return " AND account NOT IN (" + strings.TrimSuffix(strings.Repeat("?,", len(args)), ",") + ")", args
}

func collectStates(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]session.State, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("select sessions: %w", mapErr(err))
	}
	defer rows.Close()
	states, err := sqlrow.Collect(rows, sqlrow.ScanState)
	return states, mapErr(err)
}

// removeStates deletes the sessions and takes what they counted out of the aggregates.
func removeStates(ctx context.Context, tx *sql.Tx, states []session.State) ([]store.BotRef, error) {
	var deltas sqlrow.Deltas
	seen := map[store.BotRef]bool{}
	var bots []store.BotRef
	for i := range states {
		st := &states[i]
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE account = ? AND bot = ? AND session_id = ?`,
			st.Account, st.Bot, st.SessionID); err != nil {
			return nil, fmt.Errorf("delete session: %w", mapErr(err))
		}
		deltas.Remove(st)
		if b := (store.BotRef{Account: st.Account, Bot: st.Bot}); !seen[b] {
			seen[b] = true
			bots = append(bots, b)
		}
	}
	exec := func(ctx context.Context, q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return mapErr(err)
	}
	err := deltas.Each(func(account, bot string, delta []analytics.Row) error {
		return applyAggregates(ctx, exec, account, bot, delta)
	})
	return bots, err
}

// CreateErasure stores a new erasure request.
func (s *Store) CreateErasure(ctx context.Context, e store.Erasure) error {
	ids, err := json.Marshal(e.UserIDs)
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO erasures (`+sqlrow.ErasureColumns+`) VALUES (?,?,?,?,?,?,?,?,NULL)`,
		e.RequestID, e.Account, e.App, string(ids), e.UserCount, e.Status, e.SessionsErased, e.RequestedAt.UnixNano())
	return mapErr(err)
}

// Erasure returns one request of account.
func (s *Store) Erasure(ctx context.Context, account, requestID string) (store.Erasure, error) {
	e, err := sqlrow.ScanErasure(s.r.QueryRowContext(ctx, `SELECT `+sqlrow.ErasureColumns+` FROM erasures WHERE request_id = ? AND account = ?`, requestID, account))
	if errors.Is(err, sql.ErrNoRows) {
		return e, store.ErrNotFound
	}
	return e, mapErr(err)
}

// OpenErasures returns the requests not done, oldest first.
func (s *Store) OpenErasures(ctx context.Context) ([]store.Erasure, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqlrow.ErasureColumns+` FROM erasures WHERE status <> 'done' ORDER BY requested_at`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanErasure)
	return out, mapErr(err)
}

// EraseStep removes one batch of the request's sessions and records the progress in the same
// transaction: a crash between steps loses nothing and repeats nothing.
func (s *Store) EraseStep(ctx context.Context, requestID string, limit int, now time.Time) (store.Removed, bool, error) {
	var out store.Removed
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return out, false, mapErr(err)
	}
	defer tx.Rollback()
	e, err := sqlrow.ScanErasure(tx.QueryRowContext(ctx, `SELECT `+sqlrow.ErasureColumns+` FROM erasures WHERE request_id = ?`, requestID))
	if errors.Is(err, sql.ErrNoRows) {
		return out, false, store.ErrNotFound
	} else if err != nil {
		return out, false, mapErr(err)
	}
	if e.Status == store.ErasureDone {
		return out, true, nil
	}
	var states []session.State
	if len(e.UserIDs) > 0 {
		args := []any{e.Account}
		for _, id := range e.UserIDs {
			args = append(args, id)
		}
		states, err = collectStates(ctx, tx, `SELECT `+sqlrow.SessionColumns+` FROM sessions WHERE account = ? AND user_id <> '' AND user_id IN (`+
			strings.TrimSuffix(strings.Repeat("?,", len(e.UserIDs)), ",")+`) LIMIT `+strconv.Itoa(limit), args...)
		if err != nil {
			return out, false, err
		}
	}
	if out.Bots, err = removeStates(ctx, tx, states); err != nil {
		return out, false, err
	}
	out.Sessions = len(states)
	// Done only when a step finds nothing left: the last removals were committed (and, on a
	// shared database, announced to every node) by an earlier step.
	done := len(states) == 0
	if done {
		_, err = tx.ExecContext(ctx, `UPDATE erasures SET status = 'done', user_ids = '[]', sessions_erased = sessions_erased + ?,
			completed_at = ? WHERE request_id = ?`, len(states), now.UnixNano(), requestID)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE erasures SET status = 'running', sessions_erased = sessions_erased + ? WHERE request_id = ?`,
			len(states), requestID)
	}
	if err != nil {
		return out, false, fmt.Errorf("record erasure: %w", mapErr(err))
	}
	return out, done, mapErr(tx.Commit())
}
