package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

// The advisory locks that let one node at a time purge, and one erase. Each is taken for one
// transaction (pg_try_advisory_xact_lock): a node that dies mid-batch releases it with its
// rolled-back transaction, and the next batch of any node carries on.
const (
	lockPurge = 0x696e7452_50757267 // "intR" "Purg"
	lockErase = 0x696e7452_45726173 // "intR" "Eras"
)

// begin opens a lifecycle step: the node's advisory lock, then the cursor row, which every
// Apply takes first — so a step and the commits of every node are serialised, and no commit
// can write back a session the step is deleting. ok is false when another node holds the lock.
func (s *Store) beginStep(ctx context.Context, lock int64) (pgx.Tx, bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("begin: %w", mapErr(err))
	}
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, lock).Scan(&ok); err != nil || !ok {
		rollback(tx)
		return nil, false, mapErr(err)
	}
	if _, err := tx.Exec(ctx, qLockHead); err != nil {
		rollback(tx)
		return nil, false, fmt.Errorf("lock cursor: %w", mapErr(err))
	}
	return tx, true, nil
}

// PurgeExpired removes one batch of expired sessions and seen keys in one transaction.
func (s *Store) PurgeExpired(ctx context.Context, rule store.PurgeRule, limit int) (store.Removed, error) {
	var out store.Removed
	ctx, cancel := s.op(ctx)
	defer cancel()
	tx, ok, err := s.beginStep(ctx, lockPurge)
	if err != nil || !ok {
		out.Busy = !ok
		return out, err
	}
	defer rollback(tx)
	acct, args := ruleSQL(rule, 2)
	args = append([]any{rule.Before.UnixNano()}, args...)
	states, err := deleteStates(ctx, tx, `WHERE coalesce(end_ns, last_ns) < $1`+acct+` LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return out, err
	}
	if out.Bots, err = takeOut(ctx, tx, states); err != nil {
		return out, err
	}
	out.Sessions = len(states)
	tag, err := tx.Exec(ctx, `DELETE FROM events_seen WHERE (account, bot, key) IN
		(SELECT account, bot, key FROM events_seen WHERE at_ns < $1`+acct+` LIMIT `+strconv.Itoa(limit)+`)`, args...)
	if err != nil {
		return out, fmt.Errorf("purge seen keys: %w", mapErr(err))
	}
	out.Keys = int(tag.RowsAffected())
	return out, mapErr(tx.Commit(ctx))
}

// ruleSQL is the account condition of a purge rule, its placeholders numbered from first.
func ruleSQL(rule store.PurgeRule, first int) (string, []any) {
	if rule.Account != "" {
		return " AND account = $" + strconv.Itoa(first), []any{rule.Account}
	}
	if len(rule.Except) == 0 {
		return "", nil
	}
	return " AND NOT (account = ANY($" + strconv.Itoa(first) + "::text[]))", []any{rule.Except}
}

// deleteStates deletes the sessions that the condition selects and returns them.
func deleteStates(ctx context.Context, tx pgx.Tx, cond string, args ...any) ([]session.State, error) {
	rows, err := tx.Query(ctx, `DELETE FROM sessions WHERE (account, bot, session_id) IN
		(SELECT account, bot, session_id FROM sessions `+cond+`) RETURNING `+sqlrow.SessionColumns, args...)
	if err != nil {
		return nil, fmt.Errorf("delete sessions: %w", mapErr(err))
	}
	states, err := sqlrow.Collect(rows, sqlrow.ScanState)
	if err != nil {
		return nil, fmt.Errorf("delete sessions: %w", mapErr(err))
	}
	return states, nil
}

// takeOut removes what deleted sessions counted from the aggregates and names their bots.
func takeOut(ctx context.Context, tx pgx.Tx, states []session.State) ([]store.BotRef, error) {
	var deltas sqlrow.Deltas
	seen := map[store.BotRef]bool{}
	var bots []store.BotRef
	for i := range states {
		deltas.Remove(&states[i])
		if b := (store.BotRef{Account: states[i].Account, Bot: states[i].Bot}); !seen[b] {
			seen[b] = true
			bots = append(bots, b)
		}
	}
	pipe := &pgx.Batch{}
	if err := queueAggregates(ctx, tx, &deltas, pipe); err != nil {
		return nil, err
	}
	for _, b := range bots { // delivered at commit, to every node (ListenRemovals)
		pipe.Queue(qNotifyRemoved, removedPayload(b))
	}
	if pipe.Len() > 0 {
		if err := tx.SendBatch(ctx, pipe).Close(); err != nil {
			return nil, fmt.Errorf("aggregates: %w", mapErr(err))
		}
	}
	return bots, nil
}

// CreateErasure stores a new erasure request.
func (s *Store) CreateErasure(ctx context.Context, e store.Erasure) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	ids, err := json.Marshal(e.UserIDs)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO erasures (`+sqlrow.ErasureColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,NULL)`,
		e.RequestID, e.Account, e.App, string(ids), e.UserCount, e.Status, e.SessionsErased, e.RequestedAt.UnixNano())
	return mapErr(err)
}

// Erasure returns one request of account.
func (s *Store) Erasure(ctx context.Context, account, requestID string) (store.Erasure, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	e, err := sqlrow.ScanErasure(s.pool.QueryRow(ctx, `SELECT `+sqlrow.ErasureColumns+` FROM erasures WHERE request_id = $1 AND account = $2`, requestID, account))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, store.ErrNotFound
	}
	return e, mapErr(err)
}

// OpenErasures returns the requests not done, oldest first.
func (s *Store) OpenErasures(ctx context.Context) ([]store.Erasure, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.ErasureColumns+` FROM erasures WHERE status <> 'done' ORDER BY requested_at`)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := sqlrow.Collect(rows, sqlrow.ScanErasure)
	return out, mapErr(err)
}

// EraseStep removes one batch of the request's sessions and records the progress in the same
// transaction, on one node at a time.
func (s *Store) EraseStep(ctx context.Context, requestID string, limit int, now time.Time) (store.Removed, bool, error) {
	var out store.Removed
	ctx, cancel := s.op(ctx)
	defer cancel()
	tx, ok, err := s.beginStep(ctx, lockErase)
	if err != nil || !ok {
		out.Busy = !ok
		return out, false, err
	}
	defer rollback(tx)
	e, err := sqlrow.ScanErasure(tx.QueryRow(ctx, `SELECT `+sqlrow.ErasureColumns+` FROM erasures WHERE request_id = $1`, requestID))
	if errors.Is(err, pgx.ErrNoRows) {
		return out, false, store.ErrNotFound
	} else if err != nil {
		return out, false, mapErr(err)
	}
	if e.Status == store.ErasureDone {
		return out, true, nil
	}
	var states []session.State
	if len(e.UserIDs) > 0 {
		states, err = deleteStates(ctx, tx, `WHERE account = $1 AND user_id <> '' AND user_id = ANY($2::text[]) LIMIT `+strconv.Itoa(limit),
			e.Account, e.UserIDs)
		if err != nil {
			return out, false, err
		}
	}
	if out.Bots, err = takeOut(ctx, tx, states); err != nil {
		return out, false, err
	}
	out.Sessions = len(states)
	// Done only when a step finds nothing left: the last removals were committed (and, on a
	// shared database, announced to every node) by an earlier step.
	done := len(states) == 0
	if done {
		_, err = tx.Exec(ctx, `UPDATE erasures SET status = 'done', user_ids = '[]', sessions_erased = sessions_erased + $1,
			completed_at = $2 WHERE request_id = $3`, len(states), now.UnixNano(), requestID)
	} else {
		_, err = tx.Exec(ctx, `UPDATE erasures SET status = 'running', sessions_erased = sessions_erased + $1 WHERE request_id = $2`,
			len(states), requestID)
	}
	if err != nil {
		return out, false, fmt.Errorf("record erasure: %w", mapErr(err))
	}
	return out, done, mapErr(tx.Commit(ctx))
}
