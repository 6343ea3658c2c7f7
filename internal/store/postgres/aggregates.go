package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

const (
	aggKeyCols = `account, bot, minute, channel, status, deflected_to, intent`
	aggUnnest  = `unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])`
)

// aggTable is one table of aggregate rows and the statements queueAggregates runs on it: the
// per-minute rows and their hourly roll-ups (docs/analytics.md) have the same columns and key.
type aggTable struct {
	// lock reads and locks the rows a commit changes, in key order (the keys come sorted).
	// Apply already holds the cursor row, so writers do not race here; the lock and the order
	// keep that true for any other writer of the aggregates (an erasure, a purge) that takes
	// rows in the same order: the minute rows first, then the hourly ones.
	lock string
	// put writes the new values of every row that still counts sessions, in one statement.
	put string
	// drop deletes the rows whose sessions reached 0, found as lock finds them.
	drop string
}

func newAggTable(name string) aggTable {
	// match finds each key's row through the primary key, one index probe per key whatever
	// plan a prepared statement settled on while the table was small (a hash join would scan
	// the whole table on every commit).
	match := ` AS k(` + aggKeyCols + `) CROSS JOIN LATERAL (SELECT t.ctid AS rid, t.* FROM ` + name + ` t
		WHERE t.account = k.account AND t.bot = k.bot AND t.minute = k.minute AND t.channel = k.channel
			AND t.status = k.status AND t.deflected_to = k.deflected_to AND t.intent = k.intent FOR UPDATE) a`
	return aggTable{
		lock: `SELECT a.account, a.bot, a.minute, a.channel, a.status, a.deflected_to, a.intent,
			a.sessions, a.no_intent, a.handled_sum, a.hist
		FROM ` + aggUnnest + match,
		put: `INSERT INTO ` + name + ` (` + aggKeyCols + `, sessions, no_intent, handled_sum, hist)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::bigint[], $9::bigint[], $10::bigint[], $11::bytea[])
		ON CONFLICT (` + aggKeyCols + `) DO UPDATE SET sessions = excluded.sessions,
			no_intent = excluded.no_intent, handled_sum = excluded.handled_sum, hist = excluded.hist`,
		drop: `DELETE FROM ` + name + ` WHERE ctid = ANY(ARRAY(SELECT a.rid FROM ` + aggUnnest + match + `))`,
	}
}

var (
	aggMinutes = newAggTable("aggregates")
	aggHours   = newAggTable("aggregates_hourly")
)

type aggKey struct {
	account, bot string
	analytics.Key
}

// aggColumns are the key columns of a set of rows as arrays, for unnest.
type aggColumns struct {
	account, bot, channel, status, deflected, intent []string
	minute                                           []int64
}

func (c *aggColumns) add(k *aggKey) {
	c.account = append(c.account, k.account)
	c.bot = append(c.bot, k.bot)
	c.minute = append(c.minute, k.Minute)
	c.channel = append(c.channel, k.Channel)
	c.status = append(c.status, string(k.Status))
	c.deflected = append(c.deflected, k.DeflectedTo)
	c.intent = append(c.intent, k.Intent)
}

func (c *aggColumns) args() []any {
	return []any{c.account, c.bot, c.minute, c.channel, c.status, c.deflected, c.intent}
}

// aggChanges are the keys a commit changes in one table, with the deltas to add, in key order.
type aggChanges struct {
	keys   []aggKey
	values []analytics.Values
	cols   aggColumns
}

func (c *aggChanges) add(account, bot string, rows []analytics.Row) {
	for i := range rows {
		k := aggKey{account, bot, rows[i].Key}
		c.keys = append(c.keys, k)
		c.values = append(c.values, rows[i].Values)
		c.cols.add(&k)
	}
}

// queueAggregates reads the current values of the rows a commit's deltas touch, in the minute
// table and, rolled up to their hour, in the hourly table (one round trip for both), adds the
// deltas in Go (the histogram is merged here, not in SQL) and queues on pipe the statements that
// write the results: per table one upsert of the rows that still count sessions, one delete of
// those that reached 0. Both tables change in the commit's transaction: the hourly rows stay
// exactly the sum of the minute rows.
func queueAggregates(ctx context.Context, tx pgx.Tx, deltas *sqlrow.Deltas, pipe *pgx.Batch) error {
	var minutes, hours aggChanges
	err := deltas.Each(func(account, bot string, rows []analytics.Row) error {
		minutes.add(account, bot, rows)
		hourly, err := analytics.Hourly(rows)
		hours.add(account, bot, hourly)
		return err
	})
	if err != nil || len(minutes.keys) == 0 {
		return err
	}
	current, err := lockAggregates(ctx, tx, []*aggTable{&aggMinutes, &aggHours}, []*aggColumns{&minutes.cols, &hours.cols})
	if err != nil {
		return err
	}
	if err := queueTable(&aggMinutes, &minutes, current[0], pipe); err != nil {
		return err
	}
	return queueTable(&aggHours, &hours, current[1], pipe)
}

// queueTable adds the changes to the current values of table t's rows and queues their writes.
func queueTable(t *aggTable, ch *aggChanges, current map[aggKey]analytics.Values, pipe *pgx.Batch) error {
	var put, drop aggColumns
	var sessions, noIntent, handled []int64
	var hists [][]byte
	for i := range ch.keys {
		k := &ch.keys[i]
		v, ok := current[*k]
		if !ok && ch.values[i].Sessions <= 0 {
			return fmt.Errorf("aggregates out of step: minute %d channel %q takes %d sessions from none", k.Minute, k.Channel, ch.values[i].Sessions)
		}
		if err := v.Add(ch.values[i]); err != nil {
			return fmt.Errorf("aggregate minute %d: %w", k.Minute, err)
		}
		switch {
		case v.Sessions < 0:
			return fmt.Errorf("aggregates out of step: minute %d channel %q would hold %d sessions", k.Minute, k.Channel, v.Sessions)
		case v.Sessions == 0:
			drop.add(k)
		default:
			put.add(k)
			sessions, noIntent, handled = append(sessions, v.Sessions), append(noIntent, v.NoIntent), append(handled, v.HandledSum)
			h := []byte(v.Hist)
			if h == nil {
				h = []byte{}
			}
			hists = append(hists, h)
		}
	}
	if len(put.minute) > 0 {
		pipe.Queue(t.put, append(put.args(), sessions, noIntent, handled, hists)...)
	}
	if len(drop.minute) > 0 {
		pipe.Queue(t.drop, drop.args()...)
	}
	return nil
}

// aggregatesMigration creates the aggregates; a database that already holds sessions then gets
// them counted in the same transaction, so an upgrade's first summary is already right.
const aggregatesMigration = "0003_aggregates.sql"

func rebuildAggregates(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, sqlrow.RebuildSQL)
	if err != nil {
		return fmt.Errorf("read sessions: %w", mapErr(err))
	}
	var d sqlrow.Deltas
	err = d.Rebuild(rows.Next, rows)
	rows.Close()
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return fmt.Errorf("read sessions: %w", mapErr(err))
	}
	pipe := &pgx.Batch{}
	if err := queueAggregates(ctx, tx, &d, pipe); err != nil {
		return err
	}
	if pipe.Len() == 0 {
		return nil
	}
	return mapErr(tx.SendBatch(ctx, pipe).Close())
}

// lockAggregates reads and locks the existing rows among the keys of each table, the tables in
// the order given, in one round trip.
func lockAggregates(ctx context.Context, tx pgx.Tx, tables []*aggTable, keys []*aggColumns) ([]map[aggKey]analytics.Values, error) {
	batch := &pgx.Batch{}
	for i, t := range tables {
		batch.Queue(t.lock, keys[i].args()...)
	}
	br := tx.SendBatch(ctx, batch)
	defer br.Close()
	out := make([]map[aggKey]analytics.Values, len(tables))
	for i := range tables {
		rows, err := br.Query()
		if err != nil {
			return nil, fmt.Errorf("lock aggregates: %w", mapErr(err))
		}
		if out[i], err = scanLocked(rows, len(keys[i].minute)); err != nil {
			return nil, fmt.Errorf("lock aggregates: %w", mapErr(err))
		}
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("lock aggregates: %w", mapErr(err))
	}
	return out, nil
}

func scanLocked(rows pgx.Rows, n int) (map[aggKey]analytics.Values, error) {
	defer rows.Close()
	out := make(map[aggKey]analytics.Values, n)
	for rows.Next() {
		var (
			k      aggKey
			v      analytics.Values
			status string
			hist   []byte
		)
		if err := rows.Scan(&k.account, &k.bot, &k.Minute, &k.Channel, &status, &k.DeflectedTo, &k.Intent,
			&v.Sessions, &v.NoIntent, &v.HandledSum, &hist); err != nil {
			return nil, err
		}
		k.Status = session.Status(status)
		if len(hist) > 0 {
			v.Hist = hist
		}
		out[k] = v
	}
	return out, rows.Err()
}

// AggregateRows reads the aggregate rows a summary needs, through the primary key: the bot's
// rows in the minute range, narrowed by channel and intent in SQL — hourly roll-ups when every
// boundary of the request starts an hour (analytics.Request.HourAligned), minute rows otherwise.
func (s *Store) AggregateRows(ctx context.Context, account, bot string, req *analytics.Request) ([]analytics.Row, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	lo, hi := req.MinuteRange()
	var sb strings.Builder
	sb.WriteString(`SELECT ` + sqlrow.AggregateColumns + ` FROM ` + sqlrow.AggregateTable(req) + `
		WHERE account = $1 AND bot = $2 AND minute >= $3 AND minute < $4`)
	args := []any{account, bot, lo, hi}
	if len(req.Channels) > 0 {
		args = append(args, req.Channels)
		sb.WriteString(" AND channel = ANY($" + strconv.Itoa(len(args)) + "::text[])")
	}
	if req.Intent != "" {
		args = append(args, req.Intent)
		sb.WriteString(" AND intent = $" + strconv.Itoa(len(args)))
	}
	sb.WriteString(" ORDER BY minute")
	rows, err := s.pool.Query(ctx, sb.String(), args...)
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
	ctx, cancel := s.op(ctx)
	defer cancel()
	q := `SELECT count(*) FROM sessions WHERE account = $1 AND bot = $2 AND end_ns IS NULL AND start_ns IS NOT NULL AND start_ns >= $3`
	args := []any{account, bot, since.UnixNano()}
	if len(channels) > 0 {
		q += " AND channel = ANY($4::text[])"
		args = append(args, channels)
	}
	var n int64
	if err := s.pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, mapErr(err)
	}
	return n, nil
}
