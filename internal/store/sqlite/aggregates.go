package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	msqlite "modernc.org/sqlite"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

// aggChunk is how many delta rows one statement adds: a transaction of a thousand sessions
// spread over a quarter of an hour touches a thousand rows or more, and a statement per row
// cost a third of the ingest throughput.
const aggChunk = 64

// aggTable is one table of aggregate rows and the statements applyAggregates runs on it: the
// per-minute rows and their hourly roll-ups (docs/analytics.md) have the same columns and key.
type aggTable struct {
	// upserts[n] adds n delta rows: an absent row is inserted, a present one is added to, its
	// histogram merged by intentrt_hist_add (registered below) — one statement, no read-back.
	upserts []string
	// sweep deletes the rows of a minute range that no longer count a session. Only a commit
	// that takes sessions away (an update, an erasure) can leave one, so only such a commit
	// runs it. A row taken below zero, or inserted with none, is refused by the table's
	// triggers: the aggregates would be out of step with the sessions.
	sweep string
}

func newAggTable(name string) aggTable {
	t := aggTable{upserts: make([]string, aggChunk+1),
		sweep: `DELETE FROM ` + name + ` WHERE account = ? AND bot = ? AND minute >= ? AND minute <= ? AND sessions = 0`}
	for n := 1; n <= aggChunk; n++ {
		t.upserts[n] = `INSERT INTO ` + name + ` (account, bot, minute, channel, status, deflected_to, intent,
			sessions, no_intent, handled_sum, hist) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?),", n), ",") + `
			ON CONFLICT (account, bot, minute, channel, status, deflected_to, intent) DO UPDATE SET
			sessions = sessions + excluded.sessions, no_intent = no_intent + excluded.no_intent,
			handled_sum = handled_sum + excluded.handled_sum, hist = intentrt_hist_add(hist, excluded.hist)`
	}
	return t
}

var (
	aggMinutes = newAggTable("aggregates")
	aggHours   = newAggTable("aggregates_hourly")
)

// aggQueries are the statements applyAggregates runs on both tables, which Apply prepares with
// its own; aggIndex finds one in that list.
var (
	aggQueries = func() []string {
		var qs []string
		for _, t := range []*aggTable{&aggMinutes, &aggHours} {
			qs = append(append(qs, t.upserts[1:]...), t.sweep)
		}
		return qs
	}()
	aggIndex = func() map[string]int {
		m := make(map[string]int, len(aggQueries))
		for i, q := range aggQueries {
			m[q] = i
		}
		return m
	}()
)

func init() {
	msqlite.MustRegisterDeterministicScalarFunction("intentrt_hist_add", 2, func(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		a, _ := args[0].([]byte)
		b, _ := args[1].([]byte)
		sum, err := analytics.Hist(a).Add(b)
		return histBytes(sum), err
	})
}

// execer runs one statement of the transaction.
type execer func(ctx context.Context, query string, args ...any) error

// applyAggregates adds the combined delta rows of one bot's commit to the minute rows and,
// rolled up to their hour, to the hourly rows, in the same transaction: the hourly table stays
// exactly the sum of the minute table.
func applyAggregates(ctx context.Context, exec execer, account, bot string, delta []analytics.Row) error {
	if err := applyTo(ctx, exec, &aggMinutes, account, bot, delta); err != nil {
		return err
	}
	hourly, err := analytics.Hourly(delta)
	if err != nil {
		return fmt.Errorf("roll up aggregates: %w", err)
	}
	return applyTo(ctx, exec, &aggHours, account, bot, hourly)
}

// applyTo adds delta rows, in key order, to table t, a chunk of rows per statement; rows brought
// to zero are swept (aggTable.sweep). (Skipping the combination, which a single writer could,
// measured slower: it merges many rows of a busy commit.)
func applyTo(ctx context.Context, exec execer, t *aggTable, account, bot string, delta []analytics.Row) error {
	var lo, hi int64
	shrinks := false
	args := make([]any, 0, 11*min(len(delta), aggChunk))
	for start := 0; start < len(delta); start += aggChunk {
		rows := delta[start:min(start+aggChunk, len(delta))]
		args = args[:0]
		for i := range rows {
			d := &rows[i]
			args = append(args, account, bot, d.Minute, d.Channel, string(d.Status), d.DeflectedTo, d.Intent,
				d.Sessions, d.NoIntent, d.HandledSum, histBytes(d.Hist))
			if d.Sessions <= 0 {
				if !shrinks || d.Minute < lo {
					lo = d.Minute
				}
				if !shrinks || d.Minute > hi {
					hi = d.Minute
				}
				shrinks = true
			}
		}
		if err := exec(ctx, t.upserts[len(rows)], args...); err != nil {
			return fmt.Errorf("add to aggregates: %w", err)
		}
	}
	if shrinks {
		if err := exec(ctx, t.sweep, account, bot, lo, hi); err != nil {
			return fmt.Errorf("sweep aggregates: %w", err)
		}
	}
	return nil
}

// histBytes stores an empty histogram as an empty blob, never NULL (the column is NOT NULL).
func histBytes(h analytics.Hist) []byte {
	if h == nil {
		return []byte{}
	}
	return h
}

// aggregatesMigration creates the aggregates; a database that already holds sessions then gets
// them counted in the same transaction, so an upgrade's first summary is already right.
const aggregatesMigration = "0002_aggregates.sql"

func rebuildAggregates(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, sqlrow.RebuildSQL)
	if err != nil {
		return fmt.Errorf("read sessions: %w", mapErr(err))
	}
	var d sqlrow.Deltas
	err = d.Rebuild(rows.Next, rows)
	if err == nil {
		err = rows.Err()
	}
	rows.Close()
	if err != nil {
		return fmt.Errorf("read sessions: %w", mapErr(err))
	}
	exec := func(ctx context.Context, q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return mapErr(err)
	}
	return d.Each(func(account, bot string, delta []analytics.Row) error {
		return applyAggregates(ctx, exec, account, bot, delta)
	})
}

// AggregateRows reads the aggregate rows a summary needs, through the primary key: the bot's
// rows in the minute range, narrowed by channel and intent in SQL — hourly roll-ups when every
// boundary of the request starts an hour (analytics.Request.HourAligned), minute rows otherwise.
func (s *Store) AggregateRows(ctx context.Context, account, bot string, req *analytics.Request) ([]analytics.Row, error) {
	lo, hi := req.MinuteRange()
	var sb strings.Builder
	sb.WriteString(`SELECT ` + sqlrow.AggregateColumns + ` FROM ` + sqlrow.AggregateTable(req) + `
		WHERE account = ? AND bot = ? AND minute >= ? AND minute < ?`)
	args := []any{account, bot, lo, hi}
	if len(req.Channels) > 0 {
		sb.WriteString(" AND channel IN (" + strings.TrimSuffix(strings.Repeat("?,", len(req.Channels)), ",") + ")")
		for _, c := range req.Channels {
			args = append(args, c)
		}
	}
	if req.Intent != "" {
		sb.WriteString(" AND intent = ?")
		args = append(args, req.Intent)
	}
	sb.WriteString(" ORDER BY minute")
	q := sb.String()
	var (
		rows *sql.Rows
		err  error
	)
	if st := s.readStmt(ctx, q); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = s.r.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanAggregate)
	return out, mapErr(err)
}

// InProgress counts the bot's started, unended sessions since a time, through the
// sessions_in_progress index.
func (s *Store) InProgress(ctx context.Context, account, bot string, channels []string, since time.Time) (int64, error) {
	var sb strings.Builder
	sb.WriteString(`SELECT count(*) FROM sessions WHERE account = ? AND bot = ? AND end_ns IS NULL AND start_ns IS NOT NULL AND start_ns >= ?`)
	args := []any{account, bot, since.UnixNano()}
	if len(channels) > 0 {
		sb.WriteString(" AND channel IN (" + strings.TrimSuffix(strings.Repeat("?,", len(channels)), ",") + ")")
		for _, c := range channels {
			args = append(args, c)
		}
	}
	var n int64
	if err := s.r.QueryRowContext(ctx, sb.String(), args...).Scan(&n); err != nil {
		return 0, mapErr(err)
	}
	return n, nil
}
