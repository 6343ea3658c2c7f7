package sqlrow

import (
	"cmp"
	"slices"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/session"
)

// Deltas collects what the sessions of one commit change in the summary's aggregates
// (docs/analytics.md), per bot, so that a backend applies each aggregate row once per commit.
type Deltas struct {
	bots map[botKey][]analytics.Row
}

type botKey struct{ account, bot string }

// Before is what Add needs of a session before it is folded: a copy if it is completed (only
// completed sessions are in the aggregates), nil otherwise — so a new or still incomplete
// session costs no copy.
func (d *Deltas) Before(st *session.State) *session.State {
	if !st.Completed() {
		return nil
	}
	c := st.Clone()
	return &c
}

// Add records the change of a session from before (as returned by Before) to after.
func (d *Deltas) Add(before, after *session.State) {
	if before == nil && !after.Completed() {
		return
	}
	var rows []analytics.Row
	if before == nil {
		rows = analytics.Contributions(after) // a new completion adds; Each sorts and combines
	} else {
		rows = analytics.Delta(before, after)
	}
	if len(rows) == 0 {
		return
	}
	if d.bots == nil {
		d.bots = map[botKey][]analytics.Row{}
	}
	k := botKey{after.Account, after.Bot}
	d.bots[k] = append(d.bots[k], rows...)
	if n := len(d.bots[k]); n >= compactAt && n%compactAt == 0 {
		// Many sessions at once (a rebuild, a huge commit): combine as they come, so memory
		// follows the number of distinct rows, not of sessions.
		if c, err := analytics.Combine(d.bots[k]); err == nil {
			d.bots[k] = c
		}
	}
}

// compactAt is how many delta rows of one bot Add collects before combining them.
const compactAt = 1 << 16

// RebuildSQL selects the sessions that count in the aggregates, for a backend rebuilding them
// from scratch (when the aggregates table is created on a database that already holds sessions).
const RebuildSQL = `SELECT ` + SessionColumns + ` FROM sessions WHERE start_ns IS NOT NULL AND end_ns IS NOT NULL`

// Rebuild collects the aggregates of every session sc yields, as one delta from nothing.
func (d *Deltas) Rebuild(next func() bool, sc Scanner) error {
	for next() {
		st, err := ScanState(sc)
		if err != nil {
			return err
		}
		d.Add(nil, &st)
	}
	return nil
}

// Each calls apply for every bot with a change, in (account, bot) order, with its combined rows
// in key order: every transaction then takes row locks in one order, so concurrent commits of
// several nodes cannot deadlock on the aggregates.
func (d *Deltas) Each(apply func(account, bot string, delta []analytics.Row) error) error {
	keys := make([]botKey, 0, len(d.bots))
	for k := range d.bots {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b botKey) int {
		return cmp.Or(cmp.Compare(a.account, b.account), cmp.Compare(a.bot, b.bot))
	})
	for _, k := range keys {
		rows, err := analytics.Combine(d.bots[k])
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			continue
		}
		if err := apply(k.account, k.bot, rows); err != nil {
			return err
		}
	}
	return nil
}

// Remove records that a stored session goes away (a retention purge, an erasure): what it
// counted in the aggregates is taken out, as analytics.Delta(st, nil).
func (d *Deltas) Remove(st *session.State) {
	if !st.Completed() {
		return
	}
	rows := analytics.Delta(st, nil)
	if len(rows) == 0 {
		return
	}
	if d.bots == nil {
		d.bots = map[botKey][]analytics.Row{}
	}
	k := botKey{st.Account, st.Bot}
	d.bots[k] = append(d.bots[k], rows...)
}

// NewestEvent is the unix nanoseconds of the latest event time among events (0 when none).
func NewestEvent(events []session.Event) int64 {
	var newest int64
	for i := range events {
		newest = max(newest, events[i].Time.UnixNano())
	}
	return newest
}

// AggregateTable is the table a summary of req reads: the hourly roll-ups when every boundary
// it needs starts an hour (they then give the same summary from about a sixtieth of the rows),
// the minute rows otherwise.
func AggregateTable(req *analytics.Request) string {
	if req.HourAligned() {
		return "aggregates_hourly"
	}
	return "aggregates"
}

// AggregateColumns are the columns ScanAggregate reads, in its order.
const AggregateColumns = `minute, channel, status, deflected_to, intent, sessions, no_intent, handled_sum, hist`

// ScanAggregate reads one aggregate row of AggregateColumns.
func ScanAggregate(sc Scanner) (analytics.Row, error) {
	var (
		r      analytics.Row
		status string
		hist   []byte
	)
	if err := sc.Scan(&r.Minute, &r.Channel, &status, &r.DeflectedTo, &r.Intent,
		&r.Sessions, &r.NoIntent, &r.HandledSum, &hist); err != nil {
		return r, err
	}
	r.Status = session.Status(status)
	if len(hist) > 0 {
		r.Hist = hist
	}
	return r, nil
}
