package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

const (
	qSeen = `INSERT INTO events_seen (account, bot, key, at_ns) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qLoad = `SELECT ` + sqlrow.SessionColumns + ` FROM sessions WHERE account = ? AND bot = ? AND session_id = ?`
	// The newest cursor is the highest seq stored: a session's seq only ever grows, so the row
	// holding the last one handed out keeps it. Reading it through the seq index costs the same
	// as a counter row, and saves every commit a write of one more page.
	qHead   = `SELECT COALESCE(MAX(seq), 0) FROM sessions WHERE seq IS NOT NULL`
	qUpsert = `INSERT INTO sessions (` + sqlrow.SessionWriteColumns + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (account, bot, session_id) DO UPDATE SET
		channel = excluded.channel, ani = excluded.ani, dni = excluded.dni, user_id = excluded.user_id,
		start_ns = excluded.start_ns, end_ns = excluded.end_ns, status = excluded.status,
		deflected_to = excluded.deflected_to, time_handled = excluded.time_handled,
		intents = excluded.intents, seq = excluded.seq, completed_seq = excluded.completed_seq, view = excluded.view`
)

// Apply stores the batches in one immediate transaction; with synchronous=FULL the commit has
// reached the disk when it returns.
func (s *Store) Apply(ctx context.Context, batches []session.Batch) ([]session.Result, []session.Change, error) {
	queries := []string{qSeen, qLoad, qHead, qUpsert, qTouch}
	prepared, err := s.prepare(ctx, queries...)
	if err != nil {
		return nil, nil, fmt.Errorf("prepare: %w", mapErr(err))
	}
	// Prepared before the transaction takes the one write connection: preparing on the pool
	// inside it would wait for that connection forever.
	aggPrepared, err := s.prepare(ctx, aggQueries...)
	if err != nil {
		return nil, nil, fmt.Errorf("prepare: %w", mapErr(err))
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	defer tx.Rollback()
	stmts := make(map[string]*sql.Stmt, len(queries))
	for i, q := range queries {
		stmts[q] = tx.StmtContext(ctx, prepared[i])
	}
	var head int64
	if err := stmts[qHead].QueryRowContext(ctx).Scan(&head); err != nil {
		return nil, nil, fmt.Errorf("read cursor: %w", mapErr(err))
	}
	next := func() int64 { head++; return head }

	results := make([]session.Result, len(batches))
	var changes []session.Change
	var deltas sqlrow.Deltas
	for bi, b := range batches {
		fresh := make([]session.Event, 0, len(b.Events))
		for _, e := range b.Events {
			res, err := stmts[qSeen].ExecContext(ctx, b.Account, b.Bot, e.DedupKey(), e.Time.UnixNano())
			if err != nil {
				return nil, nil, fmt.Errorf("record event: %w", mapErr(err))
			}
			if n, _ := res.RowsAffected(); n == 0 {
				results[bi].Duplicates++
				continue
			}
			results[bi].Accepted++
			fresh = append(fresh, e)
		}
		order, groups := sqlrow.GroupBySession(fresh)
		for _, sid := range order {
			st, err := sqlrow.ScanState(stmts[qLoad].QueryRowContext(ctx, b.Account, b.Bot, sid))
			if errors.Is(err, sql.ErrNoRows) {
				st = session.State{Key: session.Key{Account: b.Account, Bot: b.Bot, SessionID: sid}}
			} else if err != nil {
				return nil, nil, fmt.Errorf("load session: %w", mapErr(err))
			}
			before := deltas.Before(&st)
			if ch, ok := st.Fold(groups[sid], next); ok {
				changes = append(changes, ch)
			}
			deltas.Add(before, &st)
			if _, err := stmts[qUpsert].ExecContext(ctx, sqlrow.StateArgs(&st)...); err != nil {
				return nil, nil, fmt.Errorf("store session: %w", mapErr(err))
			}
			if err := touchIncomplete(ctx, stmts[qTouch], &st, groups[sid]); err != nil {
				return nil, nil, err
			}
		}
	}
	exec := func(ctx context.Context, q string, args ...any) error {
		_, err := tx.StmtContext(ctx, aggPrepared[aggIndex[q]]).ExecContext(ctx, args...)
		return mapErr(err)
	}
	err = deltas.Each(func(account, bot string, delta []analytics.Row) error {
		return applyAggregates(ctx, exec, account, bot, delta)
	})
	if err != nil {
		return nil, nil, err
	}
	// Checked last, right before the commit: nothing is acknowledged into orphaned files.
	if err := s.files.check(); err != nil {
		return nil, nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("commit: %w", mapErr(err))
	}
	return results, changes, nil
}

// Latest answers the read API.
func (s *Store) Latest(ctx context.Context, q session.Query) ([]session.State, error) {
	where, args := filterSQL(q)
	// The limit is written into the SQL rather than bound: SQLite plans LIMIT with the bound
	// value and marks such a statement for re-preparation at every new binding, which cost a
	// parse and plan on every read. limit is an int, so the SQL stays injection-free.
	return s.query(ctx, `SELECT `+sqlrow.SessionColumns+` FROM sessions WHERE `+where+
		" ORDER BY end_ns DESC, session_id DESC LIMIT "+strconv.Itoa(latestLimit(q)), args...)
}

// LatestJSON answers the read API from the stored views: the sessions Latest returns, as the
// JSON array of their views. SQLite concatenates them itself, so the read fetches one value
// instead of fifteen columns a row (each column fetch takes the driver's connection mutex),
// and nothing is decoded or encoded. The inner query is Latest's: the same walk of
// sessions_latest that stops after limit rows.
//
// The concatenation takes the rows in the order the inner query yields them: SQLite runs a
// subquery with a LIMIT under an aggregate as a co-routine (it never flattens the two), and the
// aggregate consumes its rows as they come. An ORDER BY inside group_concat would say so
// explicitly, but it makes SQLite build a temporary b-tree for every read, which cost as much as
// the rest of the read; the conformance suite holds this answer equal to Latest's, order and
// ties included, so a SQLite that ordered differently would fail it.
func (s *Store) LatestJSON(ctx context.Context, q session.Query, dst []byte) ([]byte, error) {
	where, args := filterSQL(q)
	query := `SELECT group_concat(view, ',') FROM (SELECT view FROM sessions WHERE ` + where +
		" ORDER BY end_ns DESC, session_id DESC LIMIT " + strconv.Itoa(latestLimit(q)) + ")"
	rows, err := s.readRows(ctx, query, args...)
	if err != nil {
		return dst, mapErr(err)
	}
	defer rows.Close()
	var views sql.RawBytes // SQLite's copy, valid until rows move on: appended at once
	if rows.Next() {
		if err := rows.Scan(&views); err != nil {
			return dst, mapErr(err)
		}
	}
	if err := rows.Err(); err != nil {
		return dst, mapErr(err)
	}
	dst = append(dst, '[')
	dst = append(dst, views...)
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
	args = append(args, after, upto)
	return s.query(ctx, `SELECT `+sqlrow.SessionColumns+` FROM sessions WHERE `+where+
		" AND seq > ? AND seq <= ? ORDER BY seq LIMIT "+strconv.Itoa(limit), args...)
}

// filterSQL is the WHERE clause, and its arguments, of the completed sessions of q's bot that
// match q's filters: what the read API and the export share.
func filterSQL(q session.Query) (string, []any) {
	var sb strings.Builder
	sb.WriteString(`account = ? AND bot = ? AND seq IS NOT NULL`)
	args := []any{q.Account, q.Bot}
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		sb.WriteString(" AND " + col + " IN (" + strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",") + ")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	in("channel", q.Channels)
	statuses := make([]string, len(q.Statuses))
	for i, st := range q.Statuses {
		statuses[i] = string(st)
	}
	in("status", statuses)
	if len(q.Intents) > 0 {
		sb.WriteString(` AND EXISTS (SELECT 1 FROM json_each(sessions.intents) j WHERE json_extract(j.value, '$.n') IN (` +
			strings.TrimSuffix(strings.Repeat("?,", len(q.Intents)), ",") + `))`)
		for _, v := range q.Intents {
			args = append(args, v)
		}
	}
	if !q.From.IsZero() {
		sb.WriteString(" AND end_ns >= ?")
		args = append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		sb.WriteString(" AND end_ns < ?")
		args = append(args, q.To.UnixNano())
	}
	return sb.String(), args
}

// readRows runs a query on the read pool, through its prepared statement when there is one.
func (s *Store) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := s.readStmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.r.QueryContext(ctx, query, args...)
}

func (s *Store) query(ctx context.Context, query string, args ...any) ([]session.State, error) {
	rows, err := s.readRows(ctx, query, args...)
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
		states, err = s.query(ctx, `SELECT `+sqlrow.SessionColumns+` FROM sessions WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	} else {
		states, err = s.query(ctx, `SELECT `+sqlrow.SessionColumns+` FROM sessions WHERE account = ? AND bot = ? AND seq > ? ORDER BY seq LIMIT ?`, account, bot, after, limit)
	}
	if err != nil {
		return nil, err
	}
	return sqlrow.ChangesAfter(states, after), nil
}

// Head returns the newest cursor.
func (s *Store) Head(ctx context.Context) (int64, error) {
	var head int64
	if err := s.r.QueryRowContext(ctx, qHead).Scan(&head); err != nil {
		return 0, mapErr(err)
	}
	return head, nil
}
