package analytics

import (
	"cmp"
	"slices"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// Key identifies one aggregate row of a bot (the store adds account and bot): the completed
// sessions that ended in one UTC minute on one channel with one status and one deflection
// target. Intent "" is the row that counts each such session once; a row with an intent counts
// the same sessions that detected it. Every part of a summary under every filter is a sum of
// rows: without an intent filter the "" rows give totals, channels, deflections and the series
// and the named rows give the intents; with one, that intent's rows give everything.
type Key struct {
	Minute      int64          // Unix minute of endTime: floor(unix seconds / 60)
	Channel     string         // as stored on the session
	Status      session.Status // "" if a completed session has none yet
	DeflectedTo string         // "" when not deflected (a deflection target is never empty)
	Intent      string         // "" for the session's own row
}

// Values are the figures of a row. A store adds deltas to them; a row whose Sessions reach 0
// holds nothing (every other value is then 0 too) and is deleted.
type Values struct {
	Sessions   int64 // sessions counted
	NoIntent   int64 // of which detected no intent (only on intent "" rows)
	HandledSum int64 // sum of their handled seconds (negative figures count as 0)
	Hist       Hist  // their handled seconds, binned
}

// Row is one aggregate row, or a delta to add to it.
type Row struct {
	Key
	Values
}

// MinuteOf is the Unix minute of t.
func MinuteOf(t time.Time) int64 { return floorDiv(t.Unix(), 60) }

// MinuteTime is the instant minute m starts.
func MinuteTime(m int64) time.Time { return time.Unix(m*60, 0).UTC() }

// Add adds d to v.
func (v *Values) Add(d Values) error {
	h, err := v.Hist.Add(d.Hist)
	if err != nil {
		return err
	}
	v.Sessions += d.Sessions
	v.NoIntent += d.NoIntent
	v.HandledSum += d.HandledSum
	v.Hist = h
	return nil
}

// IsZero reports whether v adds nothing.
func (v *Values) IsZero() bool {
	return v.Sessions == 0 && v.NoIntent == 0 && v.HandledSum == 0 && len(v.Hist) == 0
}

// Contributions are the rows a session adds to the aggregates: none until it is completed, then
// its own row and one per detected intent.
func Contributions(s *session.State) []Row {
	if s == nil || !s.Completed() {
		return nil
	}
	sec := max(s.HandledSeconds(), 0)
	k := Key{Minute: MinuteOf(s.End), Channel: s.Channel, Status: s.Status}
	if s.DeflectedTo != nil {
		k.DeflectedTo = *s.DeflectedTo
	}
	v := Values{Sessions: 1, HandledSum: sec, Hist: NewHist(sec)}
	rows := make([]Row, 0, 1+len(s.Intents))
	own := v
	if len(s.Intents) == 0 {
		own.NoIntent = 1
	}
	rows = append(rows, Row{k, own})
	for _, in := range s.Intents {
		k.Intent = in.Name
		rows = append(rows, Row{k, v})
	}
	return rows
}

// Delta is what a store adds to its aggregates when a session changes from before to after
// (either may be nil: a new session, an erased one). It is empty when nothing a summary shows
// changed, sorted by key so that concurrent transactions lock rows in one order.
func Delta(before, after *session.State) []Row {
	old := Contributions(before)
	rows := Contributions(after)
	for _, r := range old {
		r.Sessions, r.NoIntent, r.HandledSum = -r.Sessions, -r.NoIntent, -r.HandledSum
		r.Hist, _ = r.Hist.Neg() // made by NewHist: always well-formed
		rows = append(rows, r)
	}
	rows, _ = Combine(rows) // likewise
	return rows
}

// Combine merges rows of equal key, drops those that add nothing and sorts the rest by key. A
// store that commits many sessions in one transaction combines their deltas and applies each
// key once.
func Combine(rows []Row) ([]Row, error) {
	slices.SortFunc(rows, func(a, b Row) int { return CompareKeys(&a.Key, &b.Key) })
	out := rows[:0]
	for i := 0; i < len(rows); {
		j := i + 1
		sum := rows[i].Values
		for ; j < len(rows) && rows[j].Key == rows[i].Key; j++ {
			if err := sum.Add(rows[j].Values); err != nil {
				return nil, err
			}
		}
		if !sum.IsZero() {
			out = append(out, Row{rows[i].Key, sum})
		}
		i = j
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// CompareKeys orders keys by minute, channel, status, deflection target, intent: the order of
// the primary key suggested in docs/analytics.md.
func CompareKeys(a, b *Key) int {
	return cmp.Or(cmp.Compare(a.Minute, b.Minute), cmp.Compare(a.Channel, b.Channel),
		cmp.Compare(a.Status, b.Status), cmp.Compare(a.DeflectedTo, b.DeflectedTo), cmp.Compare(a.Intent, b.Intent))
}

// HourOf is the first minute of the UTC hour that holds minute m: the key minute of an hourly
// roll-up row.
func HourOf(m int64) int64 { return m - (m%60+60)%60 }

// Hourly rolls rows up to their UTC hour: each row's minute becomes HourOf(minute) and rows of
// one hour and key are summed (Combine), in key order. rows is left as it was; an hourly row
// holds exactly the sum of the minute rows it covers, so a store that applies the same deltas to
// both tables keeps one the roll-up of the other.
func Hourly(rows []Row) ([]Row, error) {
	out := make([]Row, len(rows))
	for i, r := range rows {
		r.Minute = HourOf(r.Minute)
		out[i] = r
	}
	return Combine(out) // Values.Add builds new histograms: the minute rows' are not touched
}
