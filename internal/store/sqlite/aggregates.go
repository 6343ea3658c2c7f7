package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

const (
	aggKey     = `account = ? AND bot = ? AND minute = ? AND channel = ? AND status = ? AND deflected_to = ? AND intent = ?`
	qAggLoad   = `SELECT sessions, no_intent, handled_sum, hist FROM aggregates WHERE ` + aggKey
	qAggInsert = `INSERT INTO aggregates (account, bot, minute, channel, status, deflected_to, intent,
		sessions, no_intent, handled_sum, hist) VALUES (?,?,?,?,?,?,?,?,?,?,?)`
	qAggUpdate = `UPDATE aggregates SET sessions = ?, no_intent = ?, handled_sum = ?, hist = ? WHERE ` + aggKey
	qAggDelete = `DELETE FROM aggregates WHERE ` + aggKey
)

// aggQueries are the statements Apply needs for the aggregates, prepared with its own.
var aggQueries = []string{qAggLoad, qAggInsert, qAggUpdate, qAggDelete}

// applyAggregates adds the combined delta of a commit to the aggregates, row by row in key
// order. SQLite has one writer, so reading a row and writing it back needs no lock; an absent
// row is inserted, one whose sessions reach 0 is deleted.
func applyAggregates(ctx context.Context, stmts map[string]*sql.Stmt, account, bot string, delta []analytics.Row) error {
	for i := range delta {
		d := &delta[i]
		key := []any{account, bot, d.Minute, d.Channel, string(d.Status), d.DeflectedTo, d.Intent}
		var v analytics.Values
		var hist []byte
		err := stmts[qAggLoad].QueryRowContext(ctx, key...).Scan(&v.Sessions, &v.NoIntent, &v.HandledSum, &hist)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if d.Sessions <= 0 {
				return fmt.Errorf("aggregates out of step: minute %d channel %q takes %d sessions from none", d.Minute, d.Channel, d.Sessions)
			}
			args := append(key, d.Sessions, d.NoIntent, d.HandledSum, histBytes(d.Hist))
			if _, err := stmts[qAggInsert].ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("insert aggregate: %w", mapErr(err))
			}
			continue
		case err != nil:
			return fmt.Errorf("load aggregate: %w", mapErr(err))
		}
		v.Hist = hist
		if err := v.Add(d.Values); err != nil {
			return fmt.Errorf("aggregate minute %d: %w", d.Minute, err)
		}
		if v.Sessions < 0 {
			return fmt.Errorf("aggregates out of step: minute %d channel %q would hold %d sessions", d.Minute, d.Channel, v.Sessions)
		}
		if v.Sessions == 0 {
			if _, err := stmts[qAggDelete].ExecContext(ctx, key...); err != nil {
				return fmt.Errorf("delete aggregate: %w", mapErr(err))
			}
			continue
		}
		args := append([]any{v.Sessions, v.NoIntent, v.HandledSum, histBytes(v.Hist)}, key...)
		if _, err := stmts[qAggUpdate].ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("update aggregate: %w", mapErr(err))
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
	stmts := make(map[string]*sql.Stmt, len(aggQueries))
	for _, q := range aggQueries {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return mapErr(err)
		}
		defer st.Close()
		stmts[q] = st
	}
	return d.Each(func(account, bot string, delta []analytics.Row) error {
		return applyAggregates(ctx, stmts, account, bot, delta)
	})
}

// AggregateRows reads the aggregate rows a summary needs, through the primary key: the bot's
// rows in the minute range, narrowed by channel and intent in SQL.
func (s *Store) AggregateRows(ctx context.Context, account, bot string, req *analytics.Request) ([]analytics.Row, error) {
	lo, hi := req.MinuteRange()
	var sb strings.Builder
	sb.WriteString(`SELECT minute, channel, status, deflected_to, intent, sessions, no_intent, handled_sum, hist
		FROM aggregates WHERE account = ? AND bot = ? AND minute >= ? AND minute < ?`)
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
	var out []analytics.Row
	for rows.Next() {
		var (
			r      analytics.Row
			status string
			hist   []byte
		)
		if err := rows.Scan(&r.Minute, &r.Channel, &status, &r.DeflectedTo, &r.Intent,
			&r.Sessions, &r.NoIntent, &r.HandledSum, &hist); err != nil {
			return nil, mapErr(err)
		}
		r.Status = session.Status(status)
		if len(hist) > 0 {
			r.Hist = hist
		}
		out = append(out, r)
	}
	return out, mapErr(rows.Err())
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
