package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

// ChangesChannel is the LISTEN/NOTIFY channel on which Apply announces the bots it changed.
// The notification is sent inside Apply's transaction, so PostgreSQL delivers it at commit:
// a listener that reads storage after hearing of it sees the commit.
const ChangesChannel = "intentrt_changes"

const (
	// qLockHead takes the counter row for the whole transaction: the writers of every node
	// queue here, so cursors are handed out in commit order and a reader that has seen cursor N
	// has seen every cursor below it. Each node group-commits, so there is one waiter per node.
	qLockHead = `SELECT value FROM counters WHERE name = 'seq' FOR UPDATE`
	qHead     = `SELECT value FROM counters WHERE name = 'seq'`
	qSetHead  = `UPDATE counters SET value = $1 WHERE name = 'seq'`
	qNotify   = `SELECT pg_notify('` + ChangesChannel + `', $1)`
	// qSeen records the event keys of every batch of a group commit in one round trip and
	// returns those that were new. A key repeated within the statement is inserted once: DO
	// NOTHING skips the later rows, as a later batch's retry would be skipped.
	qSeen = `INSERT INTO events_seen (account, bot, key, at_ns)
		SELECT a, b, k, t FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS u(a, b, k, t)
		ON CONFLICT DO NOTHING RETURNING account, bot, key`
	// qLoad probes the primary key once per (account, bot, id); the LIMIT (the key is unique)
	// keeps the planner from flattening the probe into a join. (With "session_id = ANY($3)" the
	// generic plan PostgreSQL settles on for a prepared statement used the key's (account, bot)
	// prefix only and filtered every session of the bot against the array: a commit got slower
	// with every session the bot had stored — 24 s for 10 000 ids against 300 000 stored.)
	qLoad = `SELECT s.account, s.bot, s.session_id, s.channel, s.ani, s.dni, s.user_id, s.start_ns, s.end_ns, s.status,
			s.deflected_to, s.time_handled, s.intents, s.seq, s.completed_seq
		FROM unnest($1::text[], $2::text[], $3::text[]) AS k(a, b, id) CROSS JOIN LATERAL (SELECT * FROM sessions t
			WHERE t.account = k.a AND t.bot = k.b AND t.session_id = k.id LIMIT 1) s`
	qUpsertMany = `INSERT INTO sessions (` + sqlrow.SessionWriteColumns + `)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::bigint[], $13::text[], $14::bigint[], $15::bigint[], $16::text[])
		ON CONFLICT (account, bot, session_id) DO UPDATE SET
		channel = excluded.channel, ani = excluded.ani, dni = excluded.dni, user_id = excluded.user_id,
		start_ns = excluded.start_ns, end_ns = excluded.end_ns, status = excluded.status,
		deflected_to = excluded.deflected_to, time_handled = excluded.time_handled,
		intents = excluded.intents, seq = excluded.seq, completed_seq = excluded.completed_seq, view = excluded.view`
)

// Apply stores the batches in one transaction. It returns once PostgreSQL has committed it, which
// with the default synchronous_commit means the WAL is flushed: an acknowledged event survives a
// crash of the database as well as of the node. Round trips per group commit are few: the lock,
// one insert of every event key, one load of every session touched, and one pipelined write of every session and the cursor.
func (s *Store) Apply(ctx context.Context, batches []session.Batch) ([]session.Result, []session.Change, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("begin: %w", mapErr(err))
	}
	defer rollback(tx)
	var head int64
	if err := tx.QueryRow(ctx, qLockHead).Scan(&head); err != nil {
		return nil, nil, fmt.Errorf("lock cursor: %w", mapErr(err))
	}
	start := head
	next := func() int64 { head++; return head }

	results := make([]session.Result, len(batches))
	var (
		changes []session.Change
		states  = map[session.Key]*session.State{}
		dirty   []*session.State // sessions to write, each once, in first-touched order
		touched = map[session.Key]bool{}
		deltas  sqlrow.Deltas
		ages    sessionAges
	)
	fresh, err := recordEvents(ctx, tx, batches, results)
	if err != nil {
		return nil, nil, err
	}
	// Every session the group touches is read before any is written (the writes are queued
	// after the fold), so reading them all at once sees what reading them batch by batch did.
	orders := make([][]string, len(batches))
	groups := make([]map[string][]session.Event, len(batches))
	for bi, b := range batches {
		orders[bi], groups[bi] = sqlrow.GroupBySession(fresh[bi])
		for _, sid := range orders[bi] {
			states[session.Key{Account: b.Account, Bot: b.Bot, SessionID: sid}] = nil
		}
	}
	if err := loadStates(ctx, tx, states); err != nil {
		return nil, nil, err
	}
	for bi, b := range batches {
		for _, sid := range orders[bi] {
			k := session.Key{Account: b.Account, Bot: b.Bot, SessionID: sid}
			st := states[k]
			before := deltas.Before(st)
			if ch, ok := st.Fold(groups[bi][sid], next); ok {
				changes = append(changes, ch)
			}
			deltas.Add(before, st)
			ages.add(st, groups[bi][sid])
			if !touched[k] {
				touched[k] = true
				dirty = append(dirty, st)
			}
		}
	}
	pipe := &pgx.Batch{}
	if len(dirty) > 0 {
		pipe.Queue(qUpsertMany, sessionColumns(dirty)...)
	}
	ages.queue(pipe)
	if err := queueAggregates(ctx, tx, &deltas, pipe); err != nil {
		return nil, nil, err
	}
	if head != start {
		pipe.Queue(qSetHead, head)
		pipe.Queue(qNotify, changesPayload(changes)) // delivered at commit, naming its bots
	}
	if pipe.Len() > 0 {
		if err := tx.SendBatch(ctx, pipe).Close(); err != nil {
			return nil, nil, fmt.Errorf("store sessions: %w", mapErr(err))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, nil, fmt.Errorf("commit: %w", mapErr(err))
	}
	return results, changes, nil
}

// sessionColumns turns states into one array per column, for qUpsertMany: one statement writes
// every session of a group commit, which costs PostgreSQL far less than a statement per row.
func sessionColumns(states []*session.State) []any {
	cols := make([][]any, 16)
	for _, st := range states {
		for i, v := range sqlrow.StateArgs(st) {
			cols[i] = append(cols[i], v)
		}
	}
	out := make([]any, len(cols))
	for i, c := range cols {
		out[i] = c
	}
	return out
}

// rollback ends a transaction that did not commit. It runs on its own short deadline: the
// operation's context may be what expired.
func rollback(tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = tx.Rollback(ctx) // after Commit this is a no-op; on a broken connection the pool drops it
}

// recordEvents inserts the event keys of every batch in one statement and returns each batch's
// events not seen before, counting the rest as duplicates in results. An event repeated within
// the group is new once, in the first batch that holds it.
func recordEvents(ctx context.Context, tx pgx.Tx, batches []session.Batch, results []session.Result) ([][]session.Event, error) {
	var accounts, bots, keys []string
	var times []int64
	for _, b := range batches {
		for _, e := range b.Events {
			accounts, bots = append(accounts, b.Account), append(bots, b.Bot)
			keys, times = append(keys, e.DedupKey()), append(times, e.Time.UnixNano())
		}
	}
	rows, err := tx.Query(ctx, qSeen, accounts, bots, keys, times)
	if err != nil {
		return nil, fmt.Errorf("record events: %w", mapErr(err))
	}
	type seenKey struct{ account, bot, key string }
	isNew := make(map[seenKey]bool, len(keys))
	var k seenKey
	_, err = pgx.ForEachRow(rows, []any{&k.account, &k.bot, &k.key}, func() error { isNew[k] = true; return nil })
	if err != nil {
		return nil, fmt.Errorf("record events: %w", mapErr(err))
	}
	fresh := make([][]session.Event, len(batches))
	i := 0
	for bi, b := range batches {
		for _, e := range b.Events {
			if k := (seenKey{b.Account, b.Bot, keys[i]}); isNew[k] {
				delete(isNew, k)
				results[bi].Accepted++
				fresh[bi] = append(fresh[bi], e)
			} else {
				results[bi].Duplicates++
			}
			i++
		}
	}
	return fresh, nil
}

// loadStates reads, in one round trip, the stored sessions of the keys whose state is nil, and
// gives an empty state to those that do not exist yet.
func loadStates(ctx context.Context, tx pgx.Tx, states map[session.Key]*session.State) error {
	var accounts, bots, ids []string
	for k, st := range states {
		if st == nil {
			accounts, bots, ids = append(accounts, k.Account), append(bots, k.Bot), append(ids, k.SessionID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, qLoad, accounts, bots, ids)
	if err != nil {
		return fmt.Errorf("load sessions: %w", mapErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		st, err := sqlrow.ScanState(rows)
		if err != nil {
			return fmt.Errorf("load sessions: %w", mapErr(err))
		}
		states[st.Key] = &st
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load sessions: %w", mapErr(err))
	}
	for k, st := range states {
		if st == nil {
			states[k] = &session.State{Key: k}
		}
	}
	return nil
}

// Latest answers the read API.
func (s *Store) Latest(ctx context.Context, q session.Query) ([]session.State, error) {
	where, args := filterSQL(q)
	args = append(args, latestLimit(q))
	return s.query(ctx, `SELECT `+sqlrow.SessionColumns+` FROM sessions WHERE `+where+
		" ORDER BY end_ns DESC, session_id DESC LIMIT $"+strconv.Itoa(len(args)), args...)
}

// LatestJSON answers the read API from the stored views: the sessions Latest returns, as the
// JSON array of their views. The query is Latest's (the same walk of sessions_latest that stops
// after limit rows) selecting the view alone, and each row's bytes are appended as received:
// nothing is decoded or encoded. (Having PostgreSQL concatenate them with string_agg(... ORDER
// BY ...) cost the server a sort per read, more than the client saved.) A view is never NULL
// for a completed session; one would be skipped, as SQLite's group_concat skips it.
func (s *Store) LatestJSON(ctx context.Context, q session.Query, dst []byte) ([]byte, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	where, args := filterSQL(q)
	args = append(args, latestLimit(q))
	rows, err := s.pool.Query(ctx, `SELECT view FROM sessions WHERE `+where+
		" ORDER BY end_ns DESC, session_id DESC LIMIT $"+strconv.Itoa(len(args)), args...)
	if err != nil {
		return dst, mapErr(err)
	}
	defer rows.Close()
	dst = append(dst, '[')
	n := len(dst)
	for rows.Next() {
		v := rows.RawValues()[0] // valid until the next row: appended at once
		if v == nil {
			continue
		}
		if len(dst) > n {
			dst = append(dst, ',')
		}
		dst = append(dst, v...)
	}
	if err := rows.Err(); err != nil {
		return dst, mapErr(err)
	}
	return append(dst, ']'), nil
}

// latestLimit is q's limit, or the read API's default when it has none.
func latestLimit(q session.Query) int {
	if q.Limit <= 0 {
		return session.DefaultLimit
	}
	return q.Limit
}

// Export pages through the bot's matching completed sessions in cursor order.
func (s *Store) Export(ctx context.Context, q session.Query, after, upto int64, limit int) ([]session.State, error) {
	where, args := filterSQL(q)
	n := len(args)
	args = append(args, after, upto, limit)
	return s.query(ctx, `SELECT `+sqlrow.SessionColumns+` FROM sessions WHERE `+where+
		fmt.Sprintf(" AND seq > $%d AND seq <= $%d ORDER BY seq LIMIT $%d", n+1, n+2, n+3), args...)
}

// filterSQL is the WHERE clause, and its arguments, of the completed sessions of q's bot that
// match q's filters: what the read API and the export share.
func filterSQL(q session.Query) (string, []any) {
	var sb strings.Builder
	sb.WriteString(`account = $1 AND bot = $2 AND seq IS NOT NULL`)
	args := []any{q.Account, q.Bot}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(q.Channels) > 0 {
		sb.WriteString(" AND channel = ANY(" + arg(q.Channels) + "::text[])")
	}
	if len(q.Statuses) > 0 {
		statuses := make([]string, len(q.Statuses))
		for i, st := range q.Statuses {
			statuses[i] = string(st)
		}
		sb.WriteString(" AND status = ANY(" + arg(statuses) + "::text[])")
	}
	if len(q.Intents) > 0 {
		sb.WriteString(" AND EXISTS (SELECT 1 FROM jsonb_array_elements(sessions.intents::jsonb) j WHERE j->>'n' = ANY(" +
			arg(q.Intents) + "::text[]))")
	}
	if !q.From.IsZero() {
		sb.WriteString(" AND end_ns >= " + arg(q.From.UnixNano()))
	}
	if !q.To.IsZero() {
		sb.WriteString(" AND end_ns < " + arg(q.To.UnixNano()))
	}
	return sb.String(), args
}

func (s *Store) query(ctx context.Context, query string, args ...any) ([]session.State, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanState)
	return out, mapErr(err)
}

// ChangesSince reads the change feed of one bot, or of all bots when account is empty.
func (s *Store) ChangesSince(ctx context.Context, account, bot string, after int64, limit int) ([]session.Change, error) {
	var (
		states []session.State
		err    error
	)
	if account == "" {
		states, err = s.query(ctx, `SELECT `+sqlrow.SessionColumns+` FROM sessions WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	} else {
		states, err = s.query(ctx, `SELECT `+sqlrow.SessionColumns+` FROM sessions WHERE account = $1 AND bot = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
			account, bot, after, limit)
	}
	if err != nil {
		return nil, err
	}
	return sqlrow.ChangesAfter(states, after), nil
}

// Head returns the newest cursor.
func (s *Store) Head(ctx context.Context) (int64, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var head int64
	if err := s.pool.QueryRow(ctx, qHead).Scan(&head); err != nil {
		return 0, mapErr(err)
	}
	return head, nil
}
